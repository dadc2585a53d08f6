# Consistency distillation with the l2 metric on ImageNet-64, as the
# official launch script: global batch 2048 (8 GPUs x 256), RAdam lr 8e-6,
# mu = 0.95, N = 40, 600k iterations, the EDM teacher with dropout 0.1, the
# student initialised from it. The official runs used fp16: add --amp.
_base_ = [
    '../../_base_/models/cm_adm-unet_imagenet-64x64.py',
    '../../_base_/datasets/imagenet-64x64.py',
    '../../_base_/schedules/cm_iter-based.py',
    '../../_base_/evaluation/imagenet-64x64.py',
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
        'edm_imagenet64_ema.pt',
        dropout=0.1,
        init_student=True),
    ema_decays=(0.999, 0.9999, 0.9999432189950708))

optim_wrapper = dict(optimizer=dict(lr=8e-6))
train_cfg = dict(max_iters=600000)

# Validation: FID of one-step and of two-step sampling with the released
# checkpoint's indices, every val_interval iterations.
val_cfg = dict(
    settings=dict(
        twostep=dict(sampler='multistep', steps=40, ts=(0, 22, 39))))
