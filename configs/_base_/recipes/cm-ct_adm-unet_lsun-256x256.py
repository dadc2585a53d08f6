# Consistency training (methods/cm-ct.py) on LSUN-256, as the official
# launch script for LSUN Bedroom: RAdam lr 5e-5, LPIPS, adaptive mu
# (mu_0 = 0.95) with N growing from 2 to 150 over 1M iterations, EMA rates
# 0.9999, 0.99994 and 0.9999432189950708, no teacher. With
# recipes/lsun-{bedroom,cat}-256x256.py for the data.
_base_ = [
    '../models/cm_adm-unet_lsun-256x256.py',
    '../methods/cm-ct.py',
    '../schedules/cm_iter-based.py',
    '../evaluation/generation.py'
]

max_iters = 1000000
model = _base_.consistency_training.copy()
model.merge(dict(
    training=dict(
        curriculum=dict(scales=dict(end_scales=150, total_steps=max_iters)),
        averages=dict(ema_decays=(0.9999, 0.99994, 0.9999432189950708)))))
optim_wrapper = dict(optimizer=dict(lr=5e-5))
train_cfg = dict(max_iters=max_iters)

# Validation: FID of one-step and of two-step sampling with the released
# Bedroom checkpoint's indices, every val_interval iterations.
val_dataloader = dict(dataset=dict(num_classes=None))
test_dataloader = val_dataloader
val_cfg = dict(
    settings=dict(
        twostep=dict(sampler='multistep', steps=151, ts=(0, 67, 150))))
