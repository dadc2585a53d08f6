# Easy consistency tuning (ECT, methods/ect.py) on CIFAR-10 at the paper's
# scale (locuslab/ect, branch main: run_ecm.sh with ct_train.py's defaults):
# global batch 128 (8 GPUs x 16), RAdam lr 1e-4, betas (0.9, 0.999), EMA
# 0.9999, dropout 0.2, 200k iterations (25.6M images) with the gap halving
# every 25k iterations (3.2M images), lognormal t with P_mean = -1.1,
# P_std = 2.0, 1 / (t - r) weighting, the l2 norm (c = 0), no flips or other
# augmentation; tests/test_models/test_ect_parity.py checks the loss against
# that code. The network differs: the paper tunes EDM's DDPM++ (VP) model,
# this recipe the ADM UNet from the EDM teacher of
# edm_adm-unet_8xb64-400k_cifar10-32x32.py:
#   bash tools/dist_train.sh \
#       configs/consistency_models/train/ect_adm-unet_8xb16-200k_cifar10-32x32.py 8
_base_ = [
    '../../_base_/models/cm_adm-unet_cifar10-32x32.py',
    '../../_base_/methods/ect.py',
    '../../_base_/recipes/cifar10-32x32.py'
]

max_iters = 200000
model = _base_.easy_consistency_tuning.copy()
model.merge(dict(
    network=dict(dropout=0.2),
    training=dict(
        init_from='work_dirs/edm_cifar10/iter_400000.pth',
        averages=dict(ema_decays=(0.9999, )))))
# The reference reads its images without flips (xflip=False, augment=0).
train_dataloader = dict(
    batch_size=16,
    dataset=dict(pipeline=[
        dict(type='LoadImageRGB'),
        dict(type='PackConsistencyInputs'),
    ]))
optim_wrapper = dict(optimizer=dict(type='RAdam', lr=1e-4))
train_cfg = dict(max_iters=max_iters)
