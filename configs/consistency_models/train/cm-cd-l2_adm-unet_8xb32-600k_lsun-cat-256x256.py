# Consistency distillation with the l2 metric on LSUN Cat-256: the Bedroom
# recipe with Cat data and the Cat EDM teacher.
_base_ = './cm-cd-l2_adm-unet_8xb32-600k_lsun-bedroom-256x256.py'

train_dataloader = dict(dataset=dict(data_root='data/lsun_cat256'))
model = dict(
    teacher=dict(
        checkpoint='https://openaipublic.blob.core.windows.net/consistency/'
        'edm_cat256_ema.pt'))

cat_reference = 'data/reference/VIRTUAL_lsun_cat256.npz'
val_evaluator = [dict(type='FrechetInceptionDistance', reference=cat_reference)]
test_evaluator = [
    dict(type='FrechetInceptionDistance', reference=cat_reference),
    dict(type='InceptionScore'),
    dict(type='PrecisionRecall', reference=cat_reference),
]
