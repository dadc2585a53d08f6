# Consistency training on ImageNet-64, as the official launch script:
# global batch 2048, RAdam lr 1e-4, LPIPS, adaptive mu (mu_0 = 0.95) with N
# growing from 2 to 200 over 800k iterations, no teacher.
_base_ = [
    '../../_base_/recipes/cm-ct_adm-unet_imagenet-64x64.py',
    '../../_base_/recipes/imagenet-64x64.py'
]
