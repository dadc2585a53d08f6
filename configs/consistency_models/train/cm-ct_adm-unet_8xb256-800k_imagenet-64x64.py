# Consistency training on ImageNet-64, as the official launch script:
# global batch 2048, RAdam lr 1e-4, LPIPS, adaptive mu (mu_0 = 0.95) with N
# growing from 2 to 200 over 800k iterations, no teacher.
_base_ = [
    '../../_base_/models/cm_adm-unet_imagenet-64x64.py',
    '../../_base_/datasets/imagenet-64x64.py',
    '../../_base_/schedules/cm_iter-based.py',
    '../../_base_/evaluation/imagenet-64x64.py',
    '../../_base_/default_runtime.py'
]

max_iters = 800000
model = dict(
    type='ConsistencyTrainer',
    objective=dict(
        type='ConsistencyObjective', distance='lpips', weighting='uniform'),
    curriculum=dict(
        type='ConsistencyCurriculum',
        scales=dict(
            type='ProgressiveScales',
            start_scales=2,
            end_scales=200,
            total_steps=max_iters),
        target_ema=dict(type='AdaptiveTargetEMA', start_ema=0.95)),
    ema_decays=(0.999, 0.9999, 0.9999432189950708))

optim_wrapper = dict(optimizer=dict(lr=1e-4))
train_cfg = dict(max_iters=max_iters)

# Validation: FID of one-step and of two-step sampling with the released
# checkpoint's indices, every val_interval iterations.
val_cfg = dict(
    settings=dict(
        twostep=dict(sampler='multistep', steps=201, ts=(0, 106, 200))))
