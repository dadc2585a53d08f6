# Sampling with the official cd_bedroom256_l2.pt checkpoint: two-step
# sampling with its indices from the official launch script; pass
# --sampler onestep to tools/sample.py for one-step generation.
_base_ = './cd-lpips_adm-unet_2step_lsun-bedroom-256x256.py'

model = dict(sampling_cfg=dict(ts=(0, 18, 39)))
