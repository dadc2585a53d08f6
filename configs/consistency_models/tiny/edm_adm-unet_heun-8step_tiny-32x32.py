# A tiny EDM denoiser for CPU tests of the Heun and Euler samplers.
_base_ = [
    '../../_base_/models/cm_adm-unet_tiny-32x32.py',
    '../../_base_/default_runtime.py'
]

model = dict(
    parameterisation=dict(type='EDMParameterisation'),
    sampling_cfg=dict(sampler='heun', steps=8))
