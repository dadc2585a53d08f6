# The name mmagic users know: one-step sampling with CD (LPIPS) on LSUN Cat-256.
_base_ = './cd-lpips_adm-unet_2step_lsun-cat-256x256.py'

model = dict(sampling_cfg=dict(sampler='onestep'))
