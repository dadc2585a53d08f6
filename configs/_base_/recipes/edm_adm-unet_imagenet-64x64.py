# The EDM teacher (methods/edm.py) on ImageNet-64, as the official launch
# script: RAdam lr 1e-4 (the schedule's), dropout 0.1, lognormal sigmas,
# Karras weighting. The launch script trains until stopped; 600k iterations
# here (the schedule's). With recipes/imagenet-64x64.py for the data.
_base_ = [
    '../models/cm_adm-unet_imagenet-64x64.py',
    '../methods/edm.py',
    '../schedules/cm_iter-based.py',
    '../evaluation/generation.py'
]

model = _base_.edm

# Validation: FID of 40-step Heun sampling (the EDM configs' sampler).
val_dataloader = dict(dataset=dict(num_classes=1000))
test_dataloader = val_dataloader
val_cfg = dict(
    settings=dict(_delete_=True, heun=dict(sampler='heun', steps=40)))
