# LSUN Cat 256x256 read straight from the released LMDB database
# (the LSUN objects release's cat.zip, unzipped):
#   data/lsun/cat/{data,lock}.mdb
# CenterCropLSUN prepares each image as the official exporter does (BOX
# resize of the short side to 256, centre crop), so this trains on the same
# pixels as the image-folder route without writing 3M PNGs first.
_base_ = './lsun-cat-256x256.py'

train_pipeline = [
    dict(type='LoadImageRGB'),
    dict(type='CenterCropLSUN', image_size=256),
    dict(type='RandomHorizontalFlip', prob=0.5),
    dict(type='PackConsistencyInputs'),
]
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='LSUNLMDBDataset',
        data_root='data/lsun/cat',
        pipeline=train_pipeline))
