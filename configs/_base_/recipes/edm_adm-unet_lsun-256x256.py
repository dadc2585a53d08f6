# The EDM teacher (methods/edm.py) on LSUN-256, as the official launch
# script: RAdam lr 1e-4 (the schedule's), dropout 0.1, no scale-shift norm
# (the network's), lognormal sigmas, Karras weighting (trains until stopped
# there; 600k iterations here, the schedule's). With
# recipes/lsun-{bedroom,cat}-256x256.py for the data.
_base_ = [
    '../models/cm_adm-unet_lsun-256x256.py',
    '../methods/edm.py',
    '../schedules/cm_iter-based.py',
    '../evaluation/generation.py'
]

model = _base_.edm

# Validation: FID of 40-step Heun sampling (the EDM configs' sampler).
val_dataloader = dict(dataset=dict(num_classes=None))
test_dataloader = val_dataloader
val_cfg = dict(
    settings=dict(_delete_=True, heun=dict(sampler='heun', steps=40)))
