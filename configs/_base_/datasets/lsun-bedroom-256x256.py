# LSUN Bedroom 256x256, unconditional, as the official `load_data(...,
# class_cond=False, random_flip=True)`.
#
# Expected layout: a folder of images made from the LSUN lmdb with the
# official exporter (openai/consistency_models `datasets/lsun_bedroom.py`),
# which BOX-resizes the short side to 256, centre-crops and writes PNGs:
#   python datasets/lsun_bedroom.py bedroom_train_lmdb data/lsun_bedroom256
# giving data/lsun_bedroom256/bedroom_0000000.png, ... CenterCropADM then
# leaves 256x256 images unchanged (and handles any other size the same way).
dataset_type = 'ImageFolderDataset'
data_root = 'data/lsun_bedroom256'

train_pipeline = [
    dict(type='LoadImageRGB'),
    dict(type='CenterCropADM', image_size=256),
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
        type=dataset_type,
        data_root=data_root,
        class_cond=False,
        pipeline=train_pipeline))
