# Sampling with the official cd_cat256_lpips.pt checkpoint.
_base_ = [
    '../_base_/models/cm_adm-unet_lsun-256x256.py',
    '../_base_/evaluation/lsun-cat-256x256.py',
    '../_base_/default_runtime.py'
]

# The official launch script gives two-step indices for the Bedroom CD
# checkpoints only; these are Bedroom's, for the same distance. Tune them
# with a search for the best two-step FID on Cat. Pass --sampler onestep
# to tools/sample.py for one-step generation.
model = dict(sampling_cfg=dict(sampler='multistep', steps=40, ts=(0, 17, 39)))
