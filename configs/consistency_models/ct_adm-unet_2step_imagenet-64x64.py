# Sampling with the official ct_imagenet64.pt checkpoint: two-step sampling
# with its indices from the official launch script; pass --sampler onestep
# to tools/sample.py for one-step generation.
_base_ = './cd-lpips_adm-unet_2step_imagenet-64x64.py'

model = dict(sampling_cfg=dict(steps=201, ts=(0, 106, 200)))
