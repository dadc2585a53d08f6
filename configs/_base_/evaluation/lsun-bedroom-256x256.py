# Metrics on LSUN Bedroom 256x256 against OpenAI's reference batch, placed at
#   data/reference/VIRTUAL_lsun_bedroom256.npz
# as ./imagenet-64x64.py (FID, Inception Score, precision/recall); the
# model is unconditional: num_classes=None in the generation dataloaders.
fid_reference = 'data/reference/VIRTUAL_lsun_bedroom256.npz'

val_evaluator = [dict(type='FrechetInceptionDistance', reference=fid_reference)]
test_evaluator = val_evaluator + [
    dict(type='InceptionScore'),
    dict(type='PrecisionRecall', reference=fid_reference),
]
