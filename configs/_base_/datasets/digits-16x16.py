# scikit-learn's handwritten digits (1,797 8x8 images, classes 0..9) at
# 16x16, class-conditional, one (gray) channel: a real data set that needs no
# files on disk (it ships inside scikit-learn) and trains on a CPU.
#
# The 8x8 digits are scaled to 0..255 and upsampled by nearest neighbour, so
# every image is exactly an 8x8 digit drawn with 2x2 pixels; no flips (a
# mirrored digit is another glyph). RGB (the gray image in three channels)
# and smooth upsampling stay options of DigitsDataset; for a recipe:
#   --cfg-options model.network.in_channels=3 model.network.out_channels=3 \
#       train_dataloader.dataset.channels=3 \
#       train_dataloader.dataset.interpolation=bilinear
# (and the same two fields in the evaluator's train_set and reference). 'train' holds 1,617 images, 'val'
# every tenth (180), 'all' the 1,797. The digits recipes train on 'train'
# only; 'val' is the held-out split of the small-data metrics
# (_base_/evaluation/digits-16x16.py), never trained on.
dataset_type = 'DigitsDataset'

train_pipeline = [dict(type='PackConsistencyInputs')]

train_dataloader = dict(
    batch_size=32,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=dataset_type,
        image_size=16,
        channels=1,
        interpolation='nearest',
        class_cond=True,
        split='train',
        pipeline=train_pipeline))
