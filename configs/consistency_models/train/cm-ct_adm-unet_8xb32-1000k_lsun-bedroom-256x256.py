# Consistency training on LSUN Bedroom-256, as the official launch script:
# global batch 256, RAdam lr 5e-5, LPIPS, adaptive mu (mu_0 = 0.95) with N
# growing from 2 to 150 over 1M iterations, no teacher.
_base_ = [
    '../../_base_/recipes/cm-ct_adm-unet_lsun-256x256.py',
    '../../_base_/recipes/lsun-bedroom-256x256.py'
]
