# Metrics on scikit-learn's digits (16x16, 3 channels, 10 classes): the
# reference set is the data set itself (all 1,797 images), given as a
# dataset config; its Inception statistics are computed once and cached
# under $MMCM_HOME/fid_reference. FIDs here compare models with each other,
# not with published numbers. FID, Inception Score and precision/recall as
# ./imagenet-64x64.py.
#
# A config that inherits ./generation.py too sets the digits' sample counts
# (all 1,797 for tools/test.py, 500 for validation), their 10 classes and a
# 10x10 validation grid:
#   test_dataloader = dict(dataset=dict(num_samples=1797, num_classes=10))
#   val_dataloader = dict(dataset=dict(num_samples=500, num_classes=10))
#   val_cfg = dict(grid_size=100)
fid_reference = dict(
    type='DigitsDataset',
    image_size=16,
    channels=3,
    split='all',
    pipeline=[dict(type='PackConsistencyInputs')])

val_evaluator = [dict(type='FrechetInceptionDistance', reference=fid_reference)]
test_evaluator = val_evaluator + [
    dict(type='InceptionScore'),
    dict(type='PrecisionRecall', reference=fid_reference),
]
