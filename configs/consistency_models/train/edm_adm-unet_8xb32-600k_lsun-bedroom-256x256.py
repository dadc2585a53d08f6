# The EDM teacher on LSUN Bedroom-256, as the official launch script:
# global batch 256, RAdam lr 1e-4, dropout 0.1, no scale-shift norm,
# lognormal sigmas, Karras weighting (trains until stopped there; 600k
# iterations here).
_base_ = [
    '../../_base_/recipes/edm_adm-unet_lsun-256x256.py',
    '../../_base_/recipes/lsun-bedroom-256x256.py'
]
