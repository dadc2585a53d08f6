# Sampling with the official cd_cat256_lpips.pt checkpoint.
_base_ = './ct_adm-unet_2step_lsun-cat-256x256.py'

# The official launch script gives two-step indices for the Bedroom CD
# checkpoints only; these are Bedroom's, for the same distance. Tune them
# with a search for the best two-step FID on Cat. Pass --sampler onestep
# to tools/sample.py for one-step generation.
model = dict(sampling_cfg=dict(steps=40, ts=(0, 17, 39)))
