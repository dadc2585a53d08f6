# Continuous-time consistency distillation (Song et al. 2023, N ->
# infinity, squared l2 metric) on ImageNet-64 from the released EDM teacher,
# otherwise the CD-L2 recipe:
#   bash tools/dist_train.sh \
#       configs/consistency_models/train/cm-cd-continuous_adm-unet_8xb256-600k_imagenet-64x64.py 8
_base_ = [
    '../../_base_/recipes/cm-cd_adm-unet_imagenet-64x64.py',
    '../../_base_/recipes/imagenet-64x64.py'
]

model = dict(
    objective=dict(
        _delete_=True, type='ContinuousConsistencyObjective',
        weighting='uniform'),
    curriculum=dict(
        target_ema=dict(_delete_=True, type='FixedTargetEMA', decay=0.0)))
