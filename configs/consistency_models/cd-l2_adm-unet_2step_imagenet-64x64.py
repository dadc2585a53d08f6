# Sampling with the official cd_imagenet64_l2.pt checkpoint.
_base_ = [
    '../_base_/models/cm_adm-unet_imagenet-64x64.py',
    '../_base_/evaluation/imagenet-64x64.py',
    '../_base_/default_runtime.py'
]

# Two-step sampling with this checkpoint's indices from the official launch
# script; pass --sampler onestep to tools/sample.py for one-step generation.
model = dict(sampling_cfg=dict(sampler='multistep', steps=40, ts=(0, 22, 39)))
