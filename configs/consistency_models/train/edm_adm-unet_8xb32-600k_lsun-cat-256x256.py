# The EDM teacher on LSUN Cat-256: the Bedroom recipe with Cat data.
_base_ = [
    '../../_base_/recipes/edm_adm-unet_lsun-256x256.py',
    '../../_base_/recipes/lsun-cat-256x256.py'
]
