# Evaluation on LSUN Cat 256x256 against OpenAI's reference batch
# (guided-diffusion's evaluations README), placed at
#   data/reference/VIRTUAL_lsun_cat256.npz
# FID reads its mu/sigma; precision/recall computes the features of its
# images (arr_0) once and caches them under $MMCM_HOME/fid_reference.
# The Inception Score needs the Inception softmax layer (see
# configs/consistency_models/README.md); tools/test.py skips it, with a
# warning, when that file is missing.
_base_ = './generation.py'

fid_reference = 'data/reference/VIRTUAL_lsun_cat256.npz'

test_dataloader = dict(dataset=dict(num_classes=None))
val_dataloader = dict(dataset=dict(num_classes=None))
test_evaluator = [
    dict(type='FrechetInceptionDistance', reference=fid_reference),
    dict(type='InceptionScore'),
    dict(type='PrecisionRecall', reference=fid_reference),
]
val_evaluator = [dict(type='FrechetInceptionDistance', reference=fid_reference)]
