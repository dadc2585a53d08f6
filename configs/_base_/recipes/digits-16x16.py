# Training on scikit-learn's digits at 16x16 on a 2-core CPU, one process,
# shared by every digits method recipe so that they compare at equal cost:
# 1,000 iterations of 32 images, RAdam lr 5e-4, logs every 50 iterations,
# two checkpoints, seed 0, and the small-data metrics of one-step and
# two-step samples (500 each, against the held-out 'val' split) after the
# last iteration.
_base_ = [
    '../datasets/digits-16x16.py',
    '../evaluation/generation.py',
    '../evaluation/digits-16x16.py',
    '../schedules/cm_iter-based.py',
    '../default_runtime.py'
]

max_iters = 1000
optim_wrapper = dict(optimizer=dict(lr=5e-4))
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(interval=500, max_keep_ckpts=2))
randomness = dict(seed=0)

# Every class equally often (sample i is class i % 10), so that the scores
# do not move with the class mix of a draw.
test_dataloader = dict(
    dataset=dict(num_samples=1797, num_classes=10, balanced_labels=True))
val_dataloader = dict(
    dataset=dict(num_samples=500, num_classes=10, balanced_labels=True))
val_cfg = dict(
    grid_size=100,
    settings=dict(twostep=dict(sampler='multistep', steps=12, ts=(0, 6, 11))))
