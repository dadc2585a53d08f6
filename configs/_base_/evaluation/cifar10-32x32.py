# Metrics on CIFAR-10 (unconditional) against the 50,000 training images
# (the usual CIFAR-10 FID protocol), read from the folder the training
# config uses; their Inception statistics are computed once and cached
# under $MMCM_HOME/fid_reference. FID, Inception Score and precision/recall
# as ./imagenet-64x64.py.
fid_reference = 'data/cifar10/train'

val_evaluator = [dict(type='FrechetInceptionDistance', reference=fid_reference)]
test_evaluator = val_evaluator + [
    dict(type='InceptionScore'),
    dict(type='PrecisionRecall', reference=fid_reference),
]
