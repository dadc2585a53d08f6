# ImageNet 64x64 from tar shards (shard-000000.tar ... with <key>.<ext> and
# <key>.cls members, and index.json), e.g. written from the image folder by
#   python tools/convert_dataset.py folder data/imagenet64 \
#       data/imagenet64_shards --to shards --class-cond
# The same pipeline as the image folder: a few thousand large files instead
# of 1.28M small ones. Through another mmengine backend (e.g. s3), set
# backend_args; whole shards are then fetched and cached per worker.
_base_ = './imagenet-64x64.py'

train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='TarShardDataset',
        data_root='data/imagenet64_shards',
        backend_args=None,
        pipeline=_base_.train_pipeline))
