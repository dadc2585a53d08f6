# Truncated consistency models, stage 2 (methods/tcm.py), on CIFAR-10 at the
# paper's settings (NVlabs/TCM README, "Stage-2 (CIFAR-10)"): global batch
# 1024 (8 GPUs x 128), RAdam lr 5e-5, EMA 0.9999, dropout 0.2, t' = 1,
# boundary fraction 0.25 with weight 0.1, log t ~ Student-t(0, 0.2, df 0.01)
# on [1, 80], the gap at the cap 1 - 1 / q^a = 0.999, sqrt(|x - y|^2 + c^2) -
# c with c = 1e-8, 1 / (t - r) weighting, no augmentation; 300k iterations
# (NVlabs/FastGen's reproduction). tests/test_models/test_tcm_parity.py
# checks the loss against the authors' code. Stage 1 is easy consistency
# tuning (ect_adm-unet_8xb16-200k_cifar10-32x32.py, the ADM UNet in place
# of DDPM++, as there); its last checkpoint is the stage-1 model:
#   bash tools/dist_train.sh \
#       configs/consistency_models/train/ect_adm-unet_8xb16-200k_cifar10-32x32.py 8 \
#       --work-dir work_dirs/ect_cifar10
#   bash tools/dist_train.sh \
#       configs/consistency_models/train/tcm_adm-unet_8xb128-300k_cifar10-32x32.py 8
_base_ = [
    '../../_base_/models/cm_adm-unet_cifar10-32x32.py',
    '../../_base_/methods/tcm.py',
    '../../_base_/recipes/cifar10-32x32.py'
]

max_iters = 300000
model = _base_.truncated_consistency_training.copy()
model.merge(dict(
    network=dict(dropout=0.2),
    training=dict(
        teacher=dict(checkpoint='work_dirs/ect_cifar10/iter_200000.pth'),
        objective=dict(distance=dict(type='PseudoHuberDistance', c=1e-8)),
        averages=dict(ema_decays=(0.9999, )))))
# The reference reads its images without flips (augment=0, no xflip).
train_dataloader = dict(
    batch_size=128,
    dataset=dict(pipeline=[
        dict(type='LoadImageRGB'),
        dict(type='PackConsistencyInputs'),
    ]))
optim_wrapper = dict(optimizer=dict(type='RAdam', lr=5e-5))
train_cfg = dict(max_iters=max_iters)
# Two steps through t' (FastGen's recommended two-step times 80, 1, 0):
# index 23 of the 40-point grid is sigma 1.07, the nearest to 1.
val_cfg = dict(
    settings=dict(twostep=dict(sampler='multistep', steps=40, ts=(0, 23, 39))))
