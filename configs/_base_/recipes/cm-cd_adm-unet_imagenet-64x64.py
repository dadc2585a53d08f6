# Consistency distillation (methods/cm-cd.py) on ImageNet-64, as the official
# launch script: RAdam lr 8e-6, mu = 0.95, N = 40, 600k iterations (the
# schedule's), EMA rates 0.999, 0.9999 and 0.9999432189950708, the EDM
# teacher with dropout 0.1, the student initialised from it; l2 unless the
# config says LPIPS. With recipes/imagenet-64x64.py for the data.
_base_ = [
    '../models/cm_adm-unet_imagenet-64x64.py',
    '../methods/cm-cd.py',
    '../schedules/cm_iter-based.py',
    '../evaluation/generation.py'
]

model = _base_.consistency_distillation.copy()
model.merge(dict(
    training=dict(
        teacher=dict(
            checkpoint='https://openaipublic.blob.core.windows.net/'
            'consistency/edm_imagenet64_ema.pt'),
        averages=dict(ema_decays=(0.999, 0.9999, 0.9999432189950708)))))
optim_wrapper = dict(optimizer=dict(lr=8e-6))

# Validation: FID of one-step and of two-step sampling with the released
# checkpoint's indices, every val_interval iterations.
val_dataloader = dict(dataset=dict(num_classes=1000))
test_dataloader = val_dataloader
val_cfg = dict(
    settings=dict(
        twostep=dict(sampler='multistep', steps=40, ts=(0, 22, 39))))
