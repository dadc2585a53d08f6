# Improved consistency training on class-conditional ImageNet-64 with the
# ADM architecture of the released checkpoints: global batch 4096 (32 GPUs
# x 128), 800k iterations, Adam lr 1e-4, dropout 0.2, pseudo-Huber
# (c = 0.00054 sqrt(12288) = 0.06), lognormal pairs, N doubling from 10 to
# 1280, no target EMA.
#   GPUS=32 bash tools/slurm_train.sh PARTITION ict \
#       configs/consistency_models/train/cm-ict_adm-unet_32xb128-800k_imagenet-64x64.py
_base_ = [
    '../../_base_/recipes/cm-ct_adm-unet_imagenet-64x64.py',
    '../../_base_/recipes/imagenet-64x64.py',
    '../../_base_/methods/cm-ict.py'
]

# iCT's objective and curriculum (_base_/methods/cm-ict.py) in place of the
# CT recipe's, N reaching 1280 at its 800k iterations.
model = _base_.improved_consistency_training.copy()
model.merge(dict(
    network=dict(dropout=0.2),
    training=dict(
        curriculum=dict(
            scales=dict(end_scales=1280, total_steps=_base_.max_iters)),
        averages=dict(ema_decays=(0.99997, )))))
model.training.curriculum._delete_ = True

train_dataloader = dict(batch_size=128)
optim_wrapper = dict(optimizer=dict(type='Adam', betas=(0.9, 0.999)))
val_cfg = dict(settings=dict(twostep=dict(steps=40, ts=(0, 24, 39))))
