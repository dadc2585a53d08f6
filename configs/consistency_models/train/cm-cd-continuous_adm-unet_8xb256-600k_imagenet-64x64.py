# Continuous-time consistency distillation (Song et al. 2023, N ->
# infinity) on ImageNet-64 from the released EDM teacher with the loss of
# OpenAI's continuous-time CD config (configs/cifar10_ve_continuous.py of
# consistency_models_cifar10): the l2 norm of df/dt, the gradient through the
# JVP (variant='l2-through-jvp'; the target network is unused). Otherwise the
# CD-L2 recipe (its RAdam lr 8e-6 included: OpenAI ran this loss on CIFAR-10
# only, there with lr 1e-3, dropout 0.3, batch 512):
#   bash tools/dist_train.sh \
#       configs/consistency_models/train/cm-cd-continuous_adm-unet_8xb256-600k_imagenet-64x64.py 8
_base_ = [
    '../../_base_/recipes/cm-cd_adm-unet_imagenet-64x64.py',
    '../../_base_/recipes/imagenet-64x64.py'
]

model = dict(
    training=dict(
        objective=dict(
            _delete_=True, type='ContinuousConsistencyObjective',
            weighting='uniform', variant='l2-through-jvp'),
        curriculum=dict(
            target_ema=dict(_delete_=True, type='FixedTargetEMA',
                            decay=0.0))))
