# Iteration-based training as the official CMTrainLoop: RAdam, no weight
# decay, constant learning rate, target/EMA updates after every step.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='RAdam', lr=1e-4, weight_decay=0.0))

# Validation (when the config has a val loop, see _base_/evaluation) runs
# every val_interval iterations and after the last one.
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=600000, val_interval=50000)

# Unreadable training images are skipped, logged and counted in the
# checkpoints' meta. On SIGTERM/SIGUSR1 (a cluster's preemption warning)
# the run saves the iteration in flight and exits with 75; `--resume`
# continues it exactly.
custom_hooks = [
    dict(type='ConsistencyAveragesHook'),
    dict(type='ResumeStateHook'),
    dict(type='SkippedImagesHook'),
    dict(type='PreemptionHook')
]
