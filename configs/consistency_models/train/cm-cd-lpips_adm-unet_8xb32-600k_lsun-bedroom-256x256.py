# Consistency distillation with LPIPS on LSUN Bedroom-256 (the official
# cd_bedroom256_lpips recipe).
_base_ = [
    '../../_base_/recipes/cm-cd_adm-unet_lsun-256x256.py',
    '../../_base_/recipes/lsun-bedroom-256x256.py'
]

model = dict(training=dict(objective=dict(distance='lpips')))
val_cfg = dict(settings=dict(twostep=dict(ts=(0, 17, 39))))
