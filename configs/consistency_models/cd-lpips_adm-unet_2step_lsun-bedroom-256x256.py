# Sampling with the official cd_bedroom256_lpips.pt checkpoint; the other
# LSUN Bedroom-256 zoo configs are this one with their checkpoint's sampler.
_base_ = [
    '../_base_/models/cm_adm-unet_lsun-256x256.py',
    '../_base_/evaluation/generation.py',
    '../_base_/evaluation/lsun-bedroom-256x256.py',
    '../_base_/default_runtime.py'
]

val_dataloader = dict(dataset=dict(num_classes=None))
test_dataloader = val_dataloader

# Two-step sampling with this checkpoint's indices from the official launch
# script; pass --sampler onestep to tools/sample.py for one-step generation.
model = dict(sampling_cfg=dict(sampler='multistep', steps=40, ts=(0, 17, 39)))
