# Sampling with the official ct_bedroom256.pt checkpoint.
_base_ = [
    '../_base_/models/cm_adm-unet_lsun-256x256.py',
    '../_base_/evaluation/lsun-bedroom-256x256.py',
    '../_base_/default_runtime.py'
]

# Two-step sampling with this checkpoint's indices from the official launch
# script; pass --sampler onestep to tools/sample.py for one-step generation.
model = dict(sampling_cfg=dict(sampler='multistep', steps=151, ts=(0, 67, 150)))
