# Sampling with the official edm_imagenet64_ema.pt checkpoint.
_base_ = [
    '../_base_/models/cm_adm-unet_imagenet-64x64.py',
    '../_base_/evaluation/imagenet-64x64.py',
    '../_base_/default_runtime.py'
]

# EDM teacher: EDM scalings, 40-step Heun sampler as in the official script.
model = dict(
    preconditioner=dict(type='EDMPreconditioner'),
    unet=dict(dropout=0.1),
    sampling_cfg=dict(sampler='heun', steps=40, s_churn=0.0))
