# Truncated consistency models, stage 2 (methods/tcm.py), on ImageNet-64 with
# EDM2-S, the paper's network (NVlabs/TCM README, "Stage-2 (ImageNet
# 64x64)", --arch=edm2-img64-s): global batch 1024 (8 GPUs x 128), Adam lr
# 5e-4 with betas (0.9, 0.99) and lr / sqrt(k / 8000) after 8k iterations
# (counted from stage 1's images), dropout 0.4 at 16x16 and below, t' = 1,
# boundary fraction 0.25 with weight 0.1, log t ~ Student-t(0, 0.2, df
# 0.01) on [1, 80], q = 4 with the ratio capped at 0.9961, the pseudo-Huber
# distance with c = 0.06 and the weighting 1 / c_out(t)^2, the power EMA of
# gamma 16.97 (std 0.05). Stage 1 is the ECT run of EDM2-S
# (ect_edm2-unet-s_8xb16-100k_imagenet-64x64.py):
#   bash tools/dist_train.sh \
#       configs/consistency_models/train/ect_edm2-unet-s_8xb16-100k_imagenet-64x64.py 8 \
#       --work-dir work_dirs/ect_edm2_imagenet64
#   bash tools/dist_train.sh \
#       configs/consistency_models/train/tcm_edm2-unet-s_8xb128-100k_imagenet-64x64.py 8 --amp
_base_ = [
    '../../_base_/models/cm_edm2-unet_imagenet-64x64.py',
    '../../_base_/methods/tcm.py',
    '../../_base_/schedules/cm_iter-based.py',
    '../../_base_/evaluation/generation.py',
    '../../_base_/recipes/imagenet-64x64.py'
]

max_iters = 100000
model = _base_.truncated_consistency_training.copy()
model.merge(dict(
    network=dict(dropout=0.4, dropout_resolution=16),
    training=dict(
        teacher=dict(
            checkpoint='work_dirs/ect_edm2_imagenet64/iter_100000.pth'),
        objective=dict(
            weighting='karras',
            distance=dict(type='PseudoHuberDistance', c=0.06)),
        curriculum=dict(
            scales=dict(q=4, start_stage=4, ratio_limit=0.9961)),
        averages=dict(_delete_=True, posthoc_stds=(0.05, )))))
# The reference reads its images without flips (xflip=False).
train_dataloader = dict(
    batch_size=128,
    dataset=dict(pipeline=[
        dict(type='LoadImageRGB'),
        dict(type='CenterCropADM', image_size=64),
        dict(type='PackConsistencyInputs'),
    ]))
optim_wrapper = dict(
    optimizer=dict(type='Adam', lr=5e-4, betas=(0.9, 0.99), eps=1e-8))
# Stage 2 continues stage 1's decay: 12.8M images of stage 1 in batches of
# 1024 (ct_training_loop.py's --resume_tick bookkeeping).
param_scheduler = dict(
    type='InverseSqrtLR', ref_iters=8000, start_iters=12500)
train_cfg = dict(max_iters=max_iters, val_interval=25000)
custom_hooks = _base_.custom_hooks + [
    dict(type='PostHocEMASnapshotHook', interval=5000)]

# Validation: FID of one-step and two-step samples, the two steps through
# t' (index 23 of the 40-point grid is sigma 1.07).
val_dataloader = dict(dataset=dict(num_classes=1000))
test_dataloader = val_dataloader
val_cfg = dict(
    settings=dict(
        twostep=dict(sampler='multistep', steps=40, ts=(0, 23, 39))))
