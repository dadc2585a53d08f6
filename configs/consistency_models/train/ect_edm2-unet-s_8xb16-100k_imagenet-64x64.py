# Easy consistency tuning (ECT, methods/ect.py) of EDM2-S on ImageNet-64:
# the paper's ECM-S run (locuslab/ect, branch imgnet: run_imgnet_ecm.sh with
# ct_train.py's edm2-img64-s preset). It starts from EDM2's released EDM2-S
# (edm2-img64-s-1073741-0.075.pkl, loaded without running its pickled
# code) with global batch 128 (8 GPUs x 16), 100k iterations (12.8M
# images), the gap shrinking by q = 4 every 25k iterations, lognormal t
# (P_mean = -0.8, P_std = 1.6), the pseudo-Huber distance with c = 0.06, the
# weighting 1 / t^2 + 1 / sigma_data^2, dropout 0.4 at 16x16 and below,
# Adam lr 1e-3 with betas (0.9, 0.99) and lr / sqrt(k / 2000), and the
# power-function EMAs of stds 0.01, 0.05 and 0.1 (post-hoc EMA snapshots
# every 5k iterations, reconstructed with tools/reconstruct_posthoc_ema.py).
# tests/test_models/test_ect_parity.py checks the loss against that code.
#   bash tools/dist_train.sh \
#       configs/consistency_models/train/ect_edm2-unet-s_8xb16-100k_imagenet-64x64.py 8
_base_ = [
    '../../_base_/models/cm_edm2-unet_imagenet-64x64.py',
    '../../_base_/methods/ect.py',
    '../../_base_/schedules/cm_iter-based.py',
    '../../_base_/evaluation/generation.py',
    '../../_base_/recipes/imagenet-64x64.py'
]

max_iters = 100000
model = _base_.easy_consistency_tuning.copy()
model.merge(dict(
    network=dict(dropout=0.4, dropout_resolution=16),
    training=dict(
        init_from='https://nvlabs-fi-cdn.nvidia.com/edm2/'
        'posthoc-reconstructions/edm2-img64-s-1073741-0.075.pkl',
        objective=dict(
            weighting='karras',
            p_mean=-0.8,
            p_std=1.6,
            distance=dict(type='PseudoHuberDistance', c=0.06)),
        curriculum=dict(scales=dict(q=4)),
        averages=dict(_delete_=True, posthoc_stds=(0.01, 0.05, 0.1)))))
# The reference reads its images without flips (xflip=False).
train_dataloader = dict(
    batch_size=16,
    dataset=dict(pipeline=[
        dict(type='LoadImageRGB'),
        dict(type='CenterCropADM', image_size=64),
        dict(type='PackConsistencyInputs'),
    ]))
optim_wrapper = dict(
    optimizer=dict(type='Adam', lr=1e-3, betas=(0.9, 0.99), eps=1e-8))
param_scheduler = dict(type='InverseSqrtLR', ref_iters=2000)
train_cfg = dict(max_iters=max_iters, val_interval=25000)
custom_hooks = _base_.custom_hooks + [
    dict(type='PostHocEMASnapshotHook', interval=5000)]

# Validation: FID of one-step and two-step samples; the two-step indices
# are CD's (index 22 of 40 is sigma 1.38, near ECT's mid-point 1.526).
val_dataloader = dict(dataset=dict(num_classes=1000))
test_dataloader = val_dataloader
val_cfg = dict(
    settings=dict(
        twostep=dict(sampler='multistep', steps=40, ts=(0, 22, 39))))
