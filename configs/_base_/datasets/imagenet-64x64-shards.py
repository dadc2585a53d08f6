# ImageNet 64x64, class-conditional, from tar shards (shard-000000.tar ...
# holding <key>.<ext> images and <key>.cls labels, and an index.json), e.g.
# written from the image folder by
#   python tools/convert_dataset.py folder data/imagenet64 \
#       data/imagenet64_shards --to shards --class-cond
# The image folder's pipeline, on a few thousand large files instead of
# 1.28M small ones. Through another mmengine backend (e.g. s3) set
# backend_args: whole shards are then fetched and cached per worker.
train_pipeline = [
    dict(type='LoadImageRGB'),
    dict(type='CenterCropADM', image_size=64),
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
        type='TarShardDataset',
        data_root='data/imagenet64_shards',
        backend_args=None,
        pipeline=train_pipeline))
