# A seconds-long CT run on 16x16 digits for resume and distributed tests.
_base_ = [
    '../../configs/_base_/models/cm_adm-unet_digits-16x16.py',
    '../../configs/_base_/datasets/digits-16x16.py',
    '../../configs/_base_/schedules/cm_iter-based.py',
    '../../configs/_base_/default_runtime.py'
]

model = dict(
    network=dict(num_res_blocks=1, channel_mult=(1, 2)),
    training=dict(
        objective=dict(type='ConsistencyObjective', distance='l2'),
        curriculum=dict(
            type='ConsistencyCurriculum',
            scales=dict(
                type='ProgressiveScales',
                start_scales=2,
                end_scales=20,
                total_steps=8),
            target_ema=dict(type='AdaptiveTargetEMA', start_ema=0.9)),
        averages=dict(ema_decays=(0.99, ))))
train_dataloader = dict(batch_size=8)
optim_wrapper = dict(optimizer=dict(lr=1e-3))
train_cfg = dict(max_iters=8)
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(interval=4, save_last=False))
custom_hooks = [
    dict(type='ConsistencyAveragesHook'),
    dict(type='ResumeStateHook'),
    dict(type='SkippedImagesHook', interval=2),
    dict(type='LossRecorderHook'),
    dict(type='SignalAtIterHook'),
    dict(type='PreemptionHook'),  # last: after the loss of its iteration
]
signal_name = 'SIGTERM'
# The test-only LossRecorderHook lives outside mmcm's registry locations.
custom_imports = dict(
    imports=['tests.test_engine.recorder'], allow_failed_imports=False)
randomness = dict(seed=0)
env_cfg = dict(dist_cfg=dict(backend='gloo'))
