# MeanFlow (methods/meanflow.py) on CIFAR-10 at the official code's settings
# (Gsunshine/py-meanflow, scripts/cifar10_v1.sh): unconditional, global batch
# 1024 (8 GPUs x 128), Adam lr 6e-4 with betas (0.9, 0.999) after a linear
# warm-up from 1e-8 over 200 epochs (9,765 iterations), dropout 0.2, EMA
# 0.9999 beside 0.99995 and 0.9996, the v1 time sampler (logit-normal t
# (-0.6, 1.6), r (-4.0, 1.6), r != t for 75%), the adaptive weighting
# 1 / (loss + 1e-3)^0.75; 16,000 epochs (781,250 iterations), one-step
# sampling. tests/test_models/test_meanflow_parity.py checks the loss
# against that code. The network differs: the official code trains EDM's
# DDPM++ (SongUNet) with EDM's augmentation pipe and its augment labels;
# here the ADM UNet of the CIFAR-10 model base, with flips only:
#   bash tools/dist_train.sh \
#       configs/consistency_models/train/meanflow_adm-unet_8xb128-780k_cifar10-32x32.py 8
_base_ = [
    '../../_base_/models/cm_adm-unet_cifar10-32x32.py',
    '../../_base_/methods/meanflow.py',
    '../../_base_/recipes/cifar10-32x32.py'
]

max_iters = 781250
model = _base_.meanflow.copy()
model.merge(dict(
    network=dict(dropout=0.2),
    training=dict(averages=dict(ema_decays=(0.99995, 0.9996, 0.9999)))))
optim_wrapper = dict(
    optimizer=dict(type='Adam', lr=6e-4, betas=(0.9, 0.999), eps=1e-8))
param_scheduler = dict(
    type='LinearLR', start_factor=1e-8 / 6e-4, by_epoch=False, begin=0,
    end=9765)
train_cfg = dict(max_iters=max_iters)
# One step from t = 1 and two jumps along the flow (t = 1, 0.5, 0).
val_cfg = dict(settings=dict(
    _delete_=True, onestep=dict(sampler='onestep'),
    twostep=dict(sampler='meanflow', steps=2)))
