# ImageNet 64x64 from the downsampled-ImageNet batches of image-net.org
# (Imagenet64_train_part1/2 and Imagenet64_val, pickles or their _npz
# versions), unzipped into one folder:
#   data/imagenet64_batches/train_data_batch_1 ... train_data_batch_10
# Classes are the files' 1-based labels minus one. These images were
# downsampled by their authors (box resize of the whole image, no centre
# crop), not ADM-style: models trained on them are not trained on the
# official ImageNet-64 pixels. The rows stay in memory (15.7 GB, shared by
# the workers) unless `cache_dir` is set, which maps .npy copies instead.
_base_ = './imagenet-64x64.py'

train_pipeline = [
    dict(type='RandomHorizontalFlip', prob=0.5),
    dict(type='PackConsistencyInputs'),
]
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='DownsampledImageNetDataset',
        data_root='data/imagenet64_batches',
        split='train',
        cache_dir=None,
        pipeline=train_pipeline))
