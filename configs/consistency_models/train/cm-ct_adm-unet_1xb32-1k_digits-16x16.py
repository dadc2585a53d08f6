# Consistency training (CT) from scratch on scikit-learn's digits at 16x16,
# sized for a 2-core CPU: 1,000 iterations, about eight minutes, one
# process; its one-step samples are recognisable digits.
#   python tools/train.py \
#       configs/consistency_models/train/cm-ct_adm-unet_1xb32-1k_digits-16x16.py
#
# At this budget the official CT curriculum (adaptive mu, N growing from 2)
# only learns the data mean; following improved CT (Song & Dhariwal, 2023),
# the target is the online network itself (mu = 0) on a fixed 12-point grid.
_base_ = [
    '../../_base_/models/cm_adm-unet_digits-16x16.py',
    '../../_base_/datasets/digits-16x16.py',
    '../../_base_/schedules/cm_iter-based.py',
    '../../_base_/evaluation/digits-16x16.py',
    '../../_base_/default_runtime.py'
]

max_iters = 1000
model = dict(
    type='ConsistencyTrainer',
    objective=dict(
        type='ConsistencyObjective', distance='l2', weighting='uniform'),
    curriculum=dict(
        type='ConsistencyCurriculum',
        scales=dict(type='FixedScales', scales=12),
        target_ema=dict(type='FixedTargetEMA', decay=0.0)),
    ema_decays=(0.99, ),
    sampling_cfg=dict(sampler='onestep'))

train_dataloader = dict(batch_size=32)
optim_wrapper = dict(optimizer=dict(lr=5e-4))
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(interval=500, max_keep_ckpts=2))
randomness = dict(seed=0)

# FID of one-step and two-step samples (500 each, against all 1,797 digits)
# after the last iteration; see _base_/evaluation/digits-16x16.py.
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(
    settings=dict(twostep=dict(sampler='multistep', steps=12, ts=(0, 6, 11))))
