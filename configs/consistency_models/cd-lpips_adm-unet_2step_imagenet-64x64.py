# Sampling with the official cd_imagenet64_lpips.pt checkpoint; the other
# ImageNet-64 zoo configs are this one with their checkpoint's sampler.
_base_ = [
    '../_base_/models/cm_adm-unet_imagenet-64x64.py',
    '../_base_/evaluation/generation.py',
    '../_base_/evaluation/imagenet-64x64.py',
    '../_base_/default_runtime.py'
]

val_dataloader = dict(dataset=dict(num_classes=1000))
test_dataloader = val_dataloader

# Two-step sampling with this checkpoint's indices from the official launch
# script; pass --sampler onestep to tools/sample.py for one-step generation.
model = dict(sampling_cfg=dict(sampler='multistep', steps=40, ts=(0, 22, 39)))
