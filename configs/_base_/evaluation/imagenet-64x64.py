# Metrics on ImageNet 64x64 (class-conditional) against OpenAI's reference
# batch (guided-diffusion's evaluations README), placed at
#   data/reference/VIRTUAL_imagenet64_labeled.npz
# FID reads its mu/sigma; precision/recall computes the features of its
# images (arr_0) once and caches them under $MMCM_HOME/fid_reference.
# The Inception Score needs the Inception softmax layer (see
# configs/consistency_models/README.md); tools/test.py skips it, with a
# warning, when that file is missing.
#
# The samples to score come from ./generation.py; a config that inherits
# both draws the 1,000 classes with
#   val_dataloader = dict(dataset=dict(num_classes=1000))
#   test_dataloader = val_dataloader
fid_reference = 'data/reference/VIRTUAL_imagenet64_labeled.npz'

# Validation: FID; tools/test.py: also the Inception Score and
# precision/recall.
val_evaluator = [dict(type='FrechetInceptionDistance', reference=fid_reference)]
test_evaluator = val_evaluator + [
    dict(type='InceptionScore'),
    dict(type='PrecisionRecall', reference=fid_reference),
]
