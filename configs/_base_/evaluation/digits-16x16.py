# Metrics on scikit-learn's digits (16x16, one channel, nearest-neighbour
# upsampled, 10 classes: the representation of ../datasets/digits-16x16.py).
#
# Validation uses the small-data metrics (mmcm/evaluation/small_data.py): a
# classifier trained in seconds on the 'train' split (the split the digits
# recipes train on; cached under $MMCM_HOME/classifiers) judges the samples
# against the held-out 'val' split, never trained on: feature FD, classifier
# score CS, accuracy on the requested class, class coverage, variance ratio
# (below 1 blurry, above 1 grainy) and copy rate. Inception features of
# 16-pixel digits cannot rank such models; tools/test.py adds FID, IS and
# precision/recall against all 1,797 digits for comparison.
#
# A config that inherits ./generation.py too sets the digits' sample counts
# (all 1,797 for tools/test.py, 500 for validation), their 10 classes asked
# for equally often and a 10x10 validation grid (see recipes/digits-16x16.py):
#   test_dataloader = dict(
#       dataset=dict(num_samples=1797, num_classes=10, balanced_labels=True))
#   val_dataloader = dict(
#       dataset=dict(num_samples=500, num_classes=10, balanced_labels=True))
#   val_cfg = dict(grid_size=100)
digits_dataset = dict(type='DigitsDataset', image_size=16, channels=1,
                      interpolation='nearest', class_cond=True)
fid_reference = dict(
    type='DigitsDataset',
    image_size=16,
    channels=1,
    interpolation='nearest',
    split='all',
    pipeline=[dict(type='PackConsistencyInputs')])

val_evaluator = [
    dict(
        type='SmallDataMetrics',
        train_set=dict(digits_dataset, split='train'),
        reference=dict(digits_dataset, split='val'),
        num_classes=10)
]
test_evaluator = val_evaluator + [
    dict(type='FrechetInceptionDistance', reference=fid_reference),
    dict(type='InceptionScore'),
    dict(type='PrecisionRecall', reference=fid_reference),
]
