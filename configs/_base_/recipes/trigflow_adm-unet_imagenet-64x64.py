# A TrigFlow diffusion model (methods/trigflow.py: v-prediction, Lu & Song
# 2024) on ImageNet-64 with the ADM architecture of the released
# checkpoints, PixelNorm on its adaptive GroupNorm, dropout 0.1, lognormal
# time with sCM's ImageNet-64 P_mean -0.8, P_std 1.6 (its Table 4), Adam (lr
# 1e-4, the schedule's) with betas (0.9, 0.99) and eps 1e-11 (Table 4),
# 600k iterations: the teacher that sCD distils. It samples with Heun
# through the TrigFlowParameterisation. With recipes/imagenet-64x64.py for the
# data; the training configs read the images without flips (sCM,
# Appendix G.1).
_base_ = [
    '../models/cm_adm-unet_imagenet-64x64.py',
    '../methods/trigflow.py',
    '../schedules/cm_iter-based.py',
    '../evaluation/generation.py'
]

# 600k iterations (the schedule's; scm-scd_... sets its own)
max_iters = 600000
model = _base_.trigflow.copy()
model.merge(dict(
    network=dict(dropout=0.1),
    training=dict(
        objective=dict(p_mean=-0.8, p_std=1.6),
        averages=dict(posthoc_stds=(0.075, ))),
    sampling_cfg=dict(sampler='heun', steps=40)))
optim_wrapper = dict(
    optimizer=dict(type='Adam', betas=(0.9, 0.99), eps=1e-11))
train_cfg = dict(max_iters=max_iters)

val_dataloader = dict(dataset=dict(num_classes=1000))
test_dataloader = val_dataloader
val_cfg = dict(
    settings=dict(_delete_=True, heun=dict(sampler='heun', steps=40)))
