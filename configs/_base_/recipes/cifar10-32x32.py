# Training on CIFAR-10 at the improved-CT paper's budget, shared by every
# CIFAR-10 method recipe: the images (global batch 1024 on 8 GPUs), 400k
# iterations of RAdam (lr 1e-4, betas (0.9, 0.999)), the metrics against the
# training images, validation of one-step and two-step samples, the
# runtime. A training config adds a model (recipes/cm-ict_..., or a model
# base and the method's fields); the EDM teacher takes EDM's Adam instead.
_base_ = [
    '../datasets/cifar10-32x32.py',
    '../evaluation/generation.py',
    '../evaluation/cifar10-32x32.py',
    '../schedules/cm_iter-based.py',
    '../default_runtime.py'
]

max_iters = 400000
optim_wrapper = dict(optimizer=dict(type='RAdam', betas=(0.9, 0.999)))
train_cfg = dict(max_iters=max_iters)

# Validation: one-step and two-step FID (the paper's two-step sampler
# re-noises to sigma = 0.821: index 24 of a 40-point grid, 0.823).
val_cfg = dict(
    settings=dict(twostep=dict(sampler='multistep', steps=40, ts=(0, 24, 39))))
