# A TrigFlow diffusion model (v-prediction, Lu & Song 2024) on ImageNet-64
# with the ADM architecture of the released checkpoints, PixelNorm on its
# adaptive GroupNorm, dropout 0.1: the teacher that sCD distils. It samples
# with Heun through the TrigFlowPreconditioner.
#   bash tools/dist_train.sh \
#       configs/consistency_models/train/trigflow_adm-unet_8xb256-600k_imagenet-64x64.py 8 \
#       --work-dir work_dirs/trigflow_imagenet64
_base_ = [
    '../../_base_/models/cm_adm-unet_imagenet-64x64.py',
    '../../_base_/datasets/imagenet-64x64.py',
    '../../_base_/schedules/cm_iter-based.py',
    '../../_base_/evaluation/imagenet-64x64.py',
    '../../_base_/default_runtime.py'
]

max_iters = 600000
model = dict(
    type='TrigFlowTrainer',
    unet=dict(dropout=0.1, pixel_norm=True),
    # c_noise(t) = t: with 1000 t, sCD on the digits turned to noise
    preconditioner=dict(type='TrigFlowPreconditioner', time_scale=1.0),
    objective=dict(type='TrigFlowObjective', p_mean=-1.0, p_std=1.4),
    adaptive_weighting=True,
    ema_decays=(0.999, 0.9999, 0.9999432189950708),
    sampling_cfg=dict(sampler='heun', steps=40))

optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.99)))
train_cfg = dict(max_iters=max_iters)
val_cfg = dict(
    settings=dict(_delete_=True, heun=dict(sampler='heun', steps=40)))
