# Sampling with EDM2's released EDM2-S ImageNet-64 model
# (edm2-img64-s-1073741-0.075.pkl, EDM2's `edm2-img64-s-fid` preset, FID
# 1.58), read without running its pickled code: EDM preconditioning with
# EDM2's noise input log(sigma) / 4, 32 Heun steps without churn from
# sigma 80 to 0.002 (63 network evaluations), no clipping of the denoised
# estimates, as EDM2's edm_sampler.
# tests/test_models/test_edm2_checkpoints.py checks the samples of a tiny
# network against that sampler. A plain state dict converted with
# tools/convert_pickle.py loads the same way.
_base_ = [
    '../_base_/models/cm_edm2-unet_imagenet-64x64.py',
    '../_base_/evaluation/generation.py',
    '../_base_/evaluation/imagenet-64x64.py',
    '../_base_/default_runtime.py'
]

val_dataloader = dict(dataset=dict(num_classes=1000))
test_dataloader = val_dataloader

model = dict(
    parameterisation=dict(type='EDMParameterisation'),
    sampling_cfg=dict(
        sampler='heun', steps=32, s_churn=0.0, clip_denoised=False))
