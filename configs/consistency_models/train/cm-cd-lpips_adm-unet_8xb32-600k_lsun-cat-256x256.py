# Consistency distillation with LPIPS on LSUN Cat-256.
_base_ = './cm-cd-l2_adm-unet_8xb32-600k_lsun-cat-256x256.py'

model = dict(objective=dict(distance='lpips'))

val_cfg = dict(settings=dict(twostep=dict(ts=(0, 17, 39))))
