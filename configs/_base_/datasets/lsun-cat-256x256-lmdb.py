# LSUN Cat 256x256, unconditional, read straight from the released LMDB
# database (the LSUN objects release's cat.zip, unzipped):
#   data/lsun/cat/{data,lock}.mdb
# CenterCropLSUN prepares each image as the official exporter does (BOX
# resize of the short side to 256, centre crop), so this trains on the
# pixels of the image-folder route without writing the PNGs first.
train_pipeline = [
    dict(type='LoadImageRGB'),
    dict(type='CenterCropLSUN', image_size=256),
    dict(type='RandomHorizontalFlip', prob=0.5),
    dict(type='PackConsistencyInputs'),
]

# 32 a GPU: the official global batch of 256 on 8 GPUs.
train_dataloader = dict(
    batch_size=32,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type='LSUNLMDBDataset',
        data_root='data/lsun/cat',
        pipeline=train_pipeline))
