# Consistency training (methods/cm-ct.py) on ImageNet-64, as the official
# launch script: RAdam lr 1e-4 (the schedule's), LPIPS, adaptive mu
# (mu_0 = 0.95) with N growing from 2 to 200 over 800k iterations, EMA rates
# 0.999, 0.9999 and 0.9999432189950708, no teacher. With
# recipes/imagenet-64x64.py for the data.
_base_ = [
    '../models/cm_adm-unet_imagenet-64x64.py',
    '../methods/cm-ct.py',
    '../schedules/cm_iter-based.py',
    '../evaluation/generation.py'
]

max_iters = 800000
model = _base_.consistency_training.copy()
model.merge(dict(
    training=dict(
        curriculum=dict(scales=dict(end_scales=200, total_steps=max_iters)),
        averages=dict(ema_decays=(0.999, 0.9999, 0.9999432189950708)))))
train_cfg = dict(max_iters=max_iters)

# Validation: FID of one-step and of two-step sampling with the released
# checkpoint's indices, every val_interval iterations.
val_dataloader = dict(dataset=dict(num_classes=1000))
test_dataloader = val_dataloader
val_cfg = dict(
    settings=dict(
        twostep=dict(sampler='multistep', steps=201, ts=(0, 106, 200))))
