# The EDM teacher on ImageNet-64, as the official launch script: RAdam lr
# 1e-4 (the schedule's), dropout 0.1, lognormal sigmas, Karras weighting.
# The launch script trains until stopped; 600k iterations here (the
# schedule's). With recipes/imagenet-64x64.py for the data.
_base_ = [
    '../models/cm_adm-unet_imagenet-64x64.py',
    '../schedules/cm_iter-based.py',
    '../evaluation/generation.py'
]

model = dict(
    type='EDMTrainer',
    unet=dict(dropout=0.1),
    preconditioner=dict(type='EDMPreconditioner'),
    objective=dict(
        type='EDMObjective', p_mean=-1.2, p_std=1.2, weighting='karras'),
    ema_decays=(0.999, 0.9999, 0.9999432189950708),
    sampling_cfg=dict(sampler='heun', steps=40))

# Validation: FID of 40-step Heun sampling (the EDM configs' sampler).
val_dataloader = dict(dataset=dict(num_classes=1000))
test_dataloader = val_dataloader
val_cfg = dict(
    settings=dict(_delete_=True, heun=dict(sampler='heun', steps=40)))
