# The EDM teacher on LSUN Cat-256: the Bedroom recipe with Cat data.
_base_ = './edm_adm-unet_8xb32-600k_lsun-bedroom-256x256.py'

train_dataloader = dict(dataset=dict(data_root='data/lsun_cat256'))

cat_reference = 'data/reference/VIRTUAL_lsun_cat256.npz'
val_evaluator = [dict(type='FrechetInceptionDistance', reference=cat_reference)]
test_evaluator = [
    dict(type='FrechetInceptionDistance', reference=cat_reference),
    dict(type='InceptionScore'),
    dict(type='PrecisionRecall', reference=cat_reference),
]
