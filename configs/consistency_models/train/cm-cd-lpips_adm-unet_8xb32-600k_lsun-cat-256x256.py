# Consistency distillation with LPIPS on LSUN Cat-256: the LPIPS Bedroom
# recipe with Cat data and the Cat EDM teacher.
_base_ = [
    '../../_base_/recipes/cm-cd_adm-unet_lsun-256x256.py',
    '../../_base_/recipes/lsun-cat-256x256.py'
]

model = dict(
    training=dict(
        objective=dict(distance='lpips'),
        teacher=dict(
            checkpoint='https://openaipublic.blob.core.windows.net/'
            'consistency/edm_cat256_ema.pt')))
val_cfg = dict(settings=dict(twostep=dict(ts=(0, 17, 39))))
