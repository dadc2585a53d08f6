# The name mmagic users know: one-step sampling with CD (LPIPS) on LSUN
# Cat-256. steps/ts are those of cd-lpips_adm-unet_2step_lsun-cat-256x256.py
# (the Cat zoo base is CT's), so --sampler multistep samples that
# checkpoint two-step.
_base_ = './ct_adm-unet_2step_lsun-cat-256x256.py'

model = dict(sampling_cfg=dict(sampler='onestep', steps=40, ts=(0, 17, 39)))
