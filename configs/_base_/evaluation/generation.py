# Generative evaluation: draw `num_samples` images, one per index, and score
# them with Inception metrics (tools/test.py; validation while training).
#
# GenerationDataset items are sample indices; the model draws each index's
# noise from its own seeded generator (the official `determ-indiv` stream)
# and each index's label from one seeded draw, so the images, and the
# scores, do not depend on the batch size or the number of GPUs. No index
# is drawn twice: the sampler does not pad (round_up=False). The metrics
# are the data set's (./<dataset>.py); a class-conditional model's configs
# add the number of classes to both dataloaders' datasets.
#
# tools/test.py: 50,000 samples as the paper, with the model's own
# sampling_cfg (one-step or the checkpoint's two-step ts).
test_dataloader = dict(
    batch_size=64,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type='GenerationDataset', num_samples=50000))
test_cfg = dict(type='GenerationTestLoop', grid_size=64)

# Validation while training: 10,000 samples from the last EMA, once per
# setting; metrics are logged as '{setting}/FID' and a grid of each
# setting's first 64 images goes to the visualizer backends.
val_dataloader = dict(
    test_dataloader,
    dataset=dict(type='GenerationDataset', num_samples=10000))
val_cfg = dict(
    type='GenerationValLoop',
    settings=dict(onestep=dict(sampler='onestep')),
    grid_size=64)
