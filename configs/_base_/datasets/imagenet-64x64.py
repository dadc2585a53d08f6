# ImageNet 64x64, class-conditional, as the official `load_data(...,
# class_cond=True, random_flip=True)` used to train the ImageNet-64 models.
#
# Expected layout: the ImageNet (ILSVRC2012) training images, at any
# resolution, anywhere under `data_root` (sub-folders are searched), with
# file names that start with the class id and an underscore, as the
# originals do:
#   data/imagenet64/n01440764/n01440764_10026.JPEG
#   data/imagenet64/n01443537/n01443537_1000.JPEG ...
# A flat folder of pre-downsampled copies works too if the names keep the
# `<synset>_` prefix. Classes are the sorted unique prefixes (0..999).
# Images are centre-cropped ADM-style (BOX halving, BICUBIC) to 64x64.
dataset_type = 'ImageFolderDataset'
data_root = 'data/imagenet64'

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
        type=dataset_type,
        data_root=data_root,
        class_cond=True,
        pipeline=train_pipeline))
