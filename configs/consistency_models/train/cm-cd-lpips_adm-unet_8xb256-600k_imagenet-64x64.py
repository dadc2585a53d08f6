# Consistency distillation with LPIPS on ImageNet-64 (the official
# cd_imagenet64_lpips recipe). LPIPS needs torchvision's VGG16 weights at
# ~/.cache/torch/hub/checkpoints/vgg16-397923af.pth.
_base_ = [
    '../../_base_/recipes/cm-cd_adm-unet_imagenet-64x64.py',
    '../../_base_/recipes/imagenet-64x64.py'
]

model = dict(training=dict(objective=dict(distance='lpips')))
