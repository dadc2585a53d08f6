# LSUN Bedroom 256x256 read straight from the released LMDB database
# (python3 download.py -c bedroom of fyu/lsun, then unzip):
#   data/lsun/bedroom_train_lmdb/{data,lock}.mdb
# CenterCropLSUN prepares each image as the official exporter does (BOX
# resize of the short side to 256, centre crop), so this trains on the same
# pixels as the image-folder route without writing 3M PNGs first.
_base_ = './lsun-bedroom-256x256.py'

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
        data_root='data/lsun/bedroom_train_lmdb',
        pipeline=train_pipeline))
