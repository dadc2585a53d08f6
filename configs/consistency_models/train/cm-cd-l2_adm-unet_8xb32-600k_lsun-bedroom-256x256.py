# Consistency distillation with the l2 metric on LSUN Bedroom-256, as the
# official launch script: global batch 256 (8 GPUs x 32), RAdam lr 1e-5,
# mu = 0.95, N = 40, 600k iterations, EMA rates 0.9999, 0.99994 and
# 0.9999432189950708, the EDM teacher with dropout 0.1. Add --amp for fp16.
_base_ = [
    '../../_base_/models/cm_adm-unet_lsun-256x256.py',
    '../../_base_/datasets/lsun-bedroom-256x256.py',
    '../../_base_/schedules/cm_iter-based.py',
    '../../_base_/evaluation/lsun-bedroom-256x256.py',
    '../../_base_/default_runtime.py'
]

model = dict(
    type='ConsistencyTrainer',
    objective=dict(
        type='ConsistencyObjective', distance='l2', weighting='uniform'),
    curriculum=dict(
        type='ConsistencyCurriculum',
        scales=dict(type='FixedScales', scales=40),
        target_ema=dict(type='FixedTargetEMA', decay=0.95)),
    teacher=dict(
        checkpoint='https://openaipublic.blob.core.windows.net/consistency/'
        'edm_bedroom256_ema.pt',
        dropout=0.1,
        init_student=True),
    ema_decays=(0.9999, 0.99994, 0.9999432189950708))

optim_wrapper = dict(optimizer=dict(lr=1e-5))
train_cfg = dict(max_iters=600000)

# Validation: FID of one-step and of two-step sampling with the released
# checkpoint's indices, every val_interval iterations.
val_cfg = dict(
    settings=dict(
        twostep=dict(sampler='multistep', steps=40, ts=(0, 18, 39))))
