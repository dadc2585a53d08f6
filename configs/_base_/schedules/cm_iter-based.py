# Iteration-based training as the official CMTrainLoop: RAdam, no weight
# decay, constant learning rate, target/EMA updates after every step.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='RAdam', lr=1e-4, weight_decay=0.0))

train_cfg = dict(type='IterBasedTrainLoop', max_iters=600000)
val_cfg = None
val_dataloader = None
val_evaluator = None

custom_hooks = [
    dict(type='ConsistencyAveragesHook'),
    dict(type='ResumeStateHook')
]
