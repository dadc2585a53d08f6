# Sampling with the official edm_bedroom256_ema.pt checkpoint.
_base_ = [
    '../_base_/models/cm_adm-unet_lsun-256x256.py',
    '../_base_/evaluation/lsun-bedroom-256x256.py',
    '../_base_/default_runtime.py'
]

# EDM teacher: EDM scalings, 40-step Heun sampler as in the official script.
model = dict(
    preconditioner=dict(type='EDMPreconditioner'),
    unet=dict(dropout=0.1),
    sampling_cfg=dict(sampler='heun', steps=40, s_churn=0.0))
