# Evaluation on CIFAR-10 (unconditional) against the 50,000 training images
# (the usual CIFAR-10 FID protocol), read from the folder the training
# config uses; their Inception statistics are computed once and cached
# under $MMCM_HOME/fid_reference.
_base_ = './generation.py'

fid_reference = 'data/cifar10/train'

test_evaluator = [
    dict(type='FrechetInceptionDistance', reference=fid_reference),
    dict(type='InceptionScore'),
    dict(type='PrecisionRecall', reference=fid_reference),
]
val_evaluator = [dict(type='FrechetInceptionDistance', reference=fid_reference)]
