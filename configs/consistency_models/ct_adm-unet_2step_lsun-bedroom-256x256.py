# Sampling with the official ct_bedroom256.pt checkpoint: two-step sampling
# with its indices from the official launch script; pass --sampler onestep
# to tools/sample.py for one-step generation.
_base_ = './cd-lpips_adm-unet_2step_lsun-bedroom-256x256.py'

model = dict(sampling_cfg=dict(steps=151, ts=(0, 67, 150)))
