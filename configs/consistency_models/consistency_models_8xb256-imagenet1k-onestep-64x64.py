# The name mmagic users know: one-step sampling with CD (LPIPS) on ImageNet-64.
_base_ = './cd-lpips_adm-unet_2step_imagenet-64x64.py'

model = dict(sampling_cfg=dict(sampler='onestep'))
