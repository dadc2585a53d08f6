# Consistency training on LSUN Cat-256: the Bedroom recipe with Cat data,
# validated two-step with the released Cat checkpoint's indices.
_base_ = [
    '../../_base_/recipes/cm-ct_adm-unet_lsun-256x256.py',
    '../../_base_/recipes/lsun-cat-256x256.py'
]

val_cfg = dict(settings=dict(twostep=dict(ts=(0, 62, 150))))
