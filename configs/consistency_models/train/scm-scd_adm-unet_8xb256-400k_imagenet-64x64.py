# Continuous-time consistency distillation (sCD, Lu & Song 2024) on
# ImageNet-64 from the TrigFlow teacher of
# trigflow_adm-unet_8xb256-600k_imagenet-64x64.py (its slowest EMA), with
# sCM's objective settings: lognormal t (P_mean -1.0, P_std 1.6 on
# ImageNet-64, its Table 4), tangent normalisation c = 0.1, tangent warm-up
# over 10k iterations, learned adaptive weighting with the prior weighting
# 1 / (sigma_d tan t); the student starts from the teacher; the teacher's
# optimiser (Adam lr 1e-4, betas (0.9, 0.99), eps 1e-11) and images (no
# flips).
#   bash tools/dist_train.sh \
#       configs/consistency_models/train/scm-scd_adm-unet_8xb256-400k_imagenet-64x64.py 8
_base_ = [
    '../../_base_/recipes/trigflow_adm-unet_imagenet-64x64.py',
    '../../_base_/recipes/imagenet-64x64.py'
]

max_iters = 400000
model = dict(
    network=dict(dropout=0.0),
    training=dict(
        objective=dict(
            _base_.scm_objective, _delete_=True, warmup_steps=10000,
            p_std=1.6),
        teacher=dict(
            checkpoint='work_dirs/trigflow_imagenet64/iter_600000.pth',
            init_student=True),
        averages=dict(posthoc_stds=(0.05, ))),
    sampling_cfg=dict(_delete_=True, sampler='onestep'))

# sCM reads ImageNet without horizontal flips (Appendix G.1).
train_dataloader = dict(
    dataset=dict(pipeline=[
        dict(type='LoadImageRGB'),
        dict(type='CenterCropADM', image_size=64),
        dict(type='PackConsistencyInputs'),
    ]))
param_scheduler = dict(type='InverseSqrtLR', ref_iters=35000)
train_cfg = dict(max_iters=max_iters)
val_cfg = dict(
    settings=dict(
        _delete_=True,
        onestep=dict(sampler='onestep'),
        twostep=dict(sampler='multistep', steps=40, ts=(0, 22, 39))))
