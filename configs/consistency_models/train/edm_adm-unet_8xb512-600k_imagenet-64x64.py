# The EDM teacher on ImageNet-64, as the official launch script: global
# batch 4096 (8 GPUs x 512), RAdam lr 1e-4, dropout 0.1, lognormal sigmas,
# Karras weighting. The launch script trains until stopped; 600k iterations
# here.
_base_ = [
    '../../_base_/recipes/edm_adm-unet_imagenet-64x64.py',
    '../../_base_/recipes/imagenet-64x64.py'
]

train_dataloader = dict(batch_size=512)
