# Consistency distillation with the l2 metric on LSUN Cat-256: the Bedroom
# recipe with Cat data and the Cat EDM teacher.
_base_ = [
    '../../_base_/recipes/cm-cd_adm-unet_lsun-256x256.py',
    '../../_base_/recipes/lsun-cat-256x256.py'
]

model = dict(
    training=dict(
        teacher=dict(
            checkpoint='https://openaipublic.blob.core.windows.net/'
            'consistency/edm_cat256_ema.pt')))
