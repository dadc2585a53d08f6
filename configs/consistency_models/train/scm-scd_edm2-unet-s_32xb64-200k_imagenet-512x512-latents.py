# Continuous-time consistency distillation (sCD) in the SD VAE's latent
# space of ImageNet-512 (datasets/imagenet-512x512-latents.py), from EDM2's
# released EDM2-S ImageNet-512 model guided by its released unconditional
# XS model at scale 1.4 (EDM2's `edm2-img512-s-guid-fid` preset, FID 2.23
# with 63 network evaluations): the student (EDM2-S, started from the
# conditional model) learns the guided teacher's flow in one or two steps.
# sCM's settings otherwise, as scm-scd_edm2-unet-s_8xb256-400k_imagenet-64x64
# (its ImageNet-64 column of Table 4; the recipe card says which values
# were not checked against its ImageNet-512 column). Global batch 2048
# (32 GPUs x 64), EDM2's and sCM's ImageNet-512 batch.
#   huggingface-cli download stabilityai/sd-vae-ft-mse \
#       --local-dir checkpoints/sd-vae-ft-mse
#   python tools/encode_latents.py data/imagenet data/imagenet512_latents \
#       --vae checkpoints/sd-vae-ft-mse --format folder --class-cond \
#       --resolution 512 --device cuda
#   NNODES=4 ... bash tools/dist_train.sh \
#       configs/consistency_models/train/scm-scd_edm2-unet-s_32xb64-200k_imagenet-512x512-latents.py 8
_base_ = [
    '../../_base_/models/cm_edm2-unet_imagenet-512x512-latents.py',
    '../../_base_/methods/trigflow.py',
    '../../_base_/datasets/imagenet-512x512-latents.py',
    '../../_base_/schedules/cm_iter-based.py',
    '../../_base_/default_runtime.py'
]

edm2 = 'https://nvlabs-fi-cdn.nvidia.com/edm2/posthoc-reconstructions/'
max_iters = 200000
model = dict(
    data_preprocessor=dict(latents=_base_.latents),
    network=dict(dropout=0.0),
    parameterisation=dict(type='EDMTrigFlowParameterisation'),
    training=dict(
        objective=dict(
            _base_.scm_objective, warmup_steps=10000, p_std=1.6),
        teacher=dict(
            checkpoint=edm2 + 'edm2-img512-s-2147483-0.025.pkl',
            init_student=True,
            guidance=dict(
                scale=1.4,
                guide=dict(
                    network=dict(
                        type='EDM2UNet', image_size=64, in_channels=4,
                        num_classes=None, model_channels=128),
                    checkpoint=edm2 +
                    'edm2-img512-xs-uncond-2147483-0.025.pkl'))),
        log_variance=dict(embedding='fourier'),
        averages=dict(posthoc_stds=(0.05, ))),
    sampling_cfg=dict(sampler='onestep', clip_denoised=False))

optim_wrapper = dict(
    optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.99), eps=1e-11))
param_scheduler = dict(type='InverseSqrtLR', ref_iters=35000)
train_cfg = dict(max_iters=max_iters, val_interval=25000)
custom_hooks = _base_.custom_hooks + [
    dict(type='PostHocEMASnapshotHook', interval=5000)]

# No validation or test loop: no FID reference statistics of ImageNet-512
# ship here. Sample the EMA with tools/sample.py (decoded to 512x512 RGB)
# and score the samples with EDM2's or ADM's evaluation suite.
val_dataloader = None
val_cfg = None
val_evaluator = None
test_dataloader = None
test_cfg = None
test_evaluator = None
