# ImageNet 64x64, class-conditional, from the downsampled-ImageNet batches of
# image-net.org (Imagenet64_train_part1/2, Imagenet64_val: pickles, or their
# _npz versions) unzipped into one folder:
#   data/imagenet64_batches/train_data_batch_1 ... train_data_batch_10
# Classes are the files' 1-based labels minus one. Their authors downsampled
# the whole image (box resize, no centre crop), not ADM-style: models trained
# on them do not see the official ImageNet-64 pixels. The rows stay in
# memory (15.7 GB, shared by the workers) unless `cache_dir` is set, which
# maps .npy copies written there once instead.
train_pipeline = [
    dict(type='RandomHorizontalFlip', prob=0.5),
    dict(type='PackConsistencyInputs'),
]

# 256 a GPU: the official global batch of 2048 on 8 GPUs.
train_dataloader = dict(
    batch_size=256,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='DownsampledImageNetDataset',
        data_root='data/imagenet64_batches',
        split='train',
        cache_dir=None,
        pipeline=train_pipeline))
