# Consistency distillation with the l2 metric on ImageNet-64, as the
# official launch script: global batch 2048 (8 GPUs x 256), RAdam lr 8e-6,
# mu = 0.95, N = 40, 600k iterations, the EDM teacher with dropout 0.1, the
# student initialised from it. The official runs used fp16: add --amp fp16.
_base_ = [
    '../../_base_/recipes/cm-cd_adm-unet_imagenet-64x64.py',
    '../../_base_/recipes/imagenet-64x64.py'
]
