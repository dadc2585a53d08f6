# Consistency training (CT) from scratch on scikit-learn's digits at 16x16,
# sized for a 2-core CPU: about ten minutes, one process.
#   python tools/train.py configs/consistency_models/train/\
#       cm-ct_adm-unet_1xb64-700i_digits-16x16.py
_base_ = [
    '../../_base_/models/cm_adm-unet_digits-16x16.py',
    '../../_base_/datasets/digits-16x16.py',
    '../../_base_/schedules/cm_iter-based.py',
    '../../_base_/default_runtime.py'
]

max_iters = 700
model = dict(
    type='ConsistencyTrainer',
    unet=dict(model_channels=32),
    objective=dict(
        type='ConsistencyObjective', distance='l2', weighting='uniform'),
    curriculum=dict(
        type='ConsistencyCurriculum',
        scales=dict(
            type='ProgressiveScales',
            start_scales=2,
            end_scales=40,
            total_steps=max_iters),
        target_ema=dict(type='AdaptiveTargetEMA', start_ema=0.9)),
    ema_decays=(0.99, ),
    sampling_cfg=dict(sampler='onestep'))

train_dataloader = dict(batch_size=64)
optim_wrapper = dict(optimizer=dict(lr=4e-4))
train_cfg = dict(max_iters=max_iters)
default_hooks = dict(
    logger=dict(interval=25),
    checkpoint=dict(interval=350, max_keep_ckpts=2))
randomness = dict(seed=0)
