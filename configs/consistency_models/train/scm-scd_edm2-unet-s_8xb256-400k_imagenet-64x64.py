# Continuous-time consistency distillation (sCD, Lu & Song 2024) of EDM2's
# released EDM2-S ImageNet-64 model (edm2-img64-s-1073741-0.075.pkl, read
# without running its pickled code), the student starting from it, with
# sCM's ImageNet-64 settings for S (Table 4: global batch 2048, Adam lr 1e-4
# with betas (0.9, 0.99), eps 1e-11 and lr / sqrt(k / 35000), lognormal t
# with P_mean -1.0 and P_std 1.6, tangent normalisation c = 0.1 and
# warm-up over 10k iterations, learned adaptive weighting with the prior
# weighting, no dropout, the power EMA of std 0.05, 400k iterations).
# EDM2's model is an EDM denoiser; EDMTrigFlowParameterisation runs it (and
# the student) as the TrigFlow model it equals. sCM distils its own TrigFlow
# teachers, with a positional time embedding and normalised modulation
# where EDM2 has Fourier features; the recipe card says what that changes.
#   bash tools/dist_train.sh \
#       configs/consistency_models/train/scm-scd_edm2-unet-s_8xb256-400k_imagenet-64x64.py 8
_base_ = [
    '../../_base_/models/cm_edm2-unet_imagenet-64x64.py',
    '../../_base_/methods/trigflow.py',
    '../../_base_/schedules/cm_iter-based.py',
    '../../_base_/evaluation/generation.py',
    '../../_base_/recipes/imagenet-64x64.py'
]

edm2_s = ('https://nvlabs-fi-cdn.nvidia.com/edm2/posthoc-reconstructions/'
          'edm2-img64-s-1073741-0.075.pkl')
max_iters = 400000
model = dict(
    network=dict(dropout=0.0),
    parameterisation=dict(type='EDMTrigFlowParameterisation'),
    training=dict(
        objective=dict(
            _base_.scm_objective, warmup_steps=10000, p_std=1.6),
        teacher=dict(checkpoint=edm2_s, init_student=True),
        log_variance=dict(embedding='fourier'),
        averages=dict(posthoc_stds=(0.05, ))),
    sampling_cfg=dict(sampler='onestep'))

# sCM reads ImageNet without horizontal flips (Appendix G.1).
train_dataloader = dict(
    batch_size=256,
    dataset=dict(pipeline=[
        dict(type='LoadImageRGB'),
        dict(type='CenterCropADM', image_size=64),
        dict(type='PackConsistencyInputs'),
    ]))
optim_wrapper = dict(
    optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.99), eps=1e-11))
param_scheduler = dict(type='InverseSqrtLR', ref_iters=35000)
train_cfg = dict(max_iters=max_iters, val_interval=25000)
custom_hooks = _base_.custom_hooks + [
    dict(type='PostHocEMASnapshotHook', interval=5000)]

val_dataloader = dict(dataset=dict(num_classes=1000))
test_dataloader = val_dataloader
val_cfg = dict(
    settings=dict(
        onestep=dict(sampler='onestep'),
        twostep=dict(sampler='multistep', steps=40, ts=(0, 22, 39))))
