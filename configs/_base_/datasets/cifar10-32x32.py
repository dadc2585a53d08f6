# CIFAR-10 training images, unconditional, as improved CT trains them.
#
# Expected layout: the 50,000 training images as image files anywhere under
# `data_root`, e.g. exported from the python pickles:
#   data/cifar10/train/airplane_00001.png ...
# Random horizontal flips; the images are already 32x32.
dataset_type = 'ImageFolderDataset'
data_root = 'data/cifar10/train'

train_pipeline = [
    dict(type='LoadImageRGB'),
    dict(type='RandomHorizontalFlip', prob=0.5),
    dict(type='PackConsistencyInputs'),
]

# 128 a GPU: a global batch of 1024 on 8 GPUs.
train_dataloader = dict(
    batch_size=128,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        class_cond=False,
        pipeline=train_pipeline))
