# Consistency distillation (methods/cm-cd.py) on LSUN-256, as the official
# launch script for LSUN Bedroom: RAdam lr 1e-5, mu = 0.95, N = 40, 600k
# iterations (the schedule's), EMA rates 0.9999, 0.99994 and
# 0.9999432189950708, the EDM teacher (Bedroom's unless the config names
# Cat's) with dropout 0.1, the student initialised from it; l2 unless the
# config says LPIPS. With recipes/lsun-{bedroom,cat}-256x256.py for the data.
_base_ = [
    '../models/cm_adm-unet_lsun-256x256.py',
    '../methods/cm-cd.py',
    '../schedules/cm_iter-based.py',
    '../evaluation/generation.py'
]

model = _base_.consistency_distillation.copy()
model.merge(dict(
    training=dict(
        teacher=dict(
            checkpoint='https://openaipublic.blob.core.windows.net/'
            'consistency/edm_bedroom256_ema.pt'),
        averages=dict(ema_decays=(0.9999, 0.99994, 0.9999432189950708)))))
optim_wrapper = dict(optimizer=dict(lr=1e-5))

# Validation: FID of one-step and of two-step sampling with the released
# Bedroom l2 checkpoint's indices, every val_interval iterations.
val_dataloader = dict(dataset=dict(num_classes=None))
test_dataloader = val_dataloader
val_cfg = dict(
    settings=dict(
        twostep=dict(sampler='multistep', steps=40, ts=(0, 18, 39))))
