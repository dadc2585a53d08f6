# A TrigFlow diffusion model (v-prediction, Lu & Song 2024) on ImageNet-64
# with the ADM architecture of the released checkpoints, PixelNorm on its
# adaptive GroupNorm, dropout 0.1: the teacher that sCD distils. It samples
# with Heun through the TrigFlowPreconditioner.
#   bash tools/dist_train.sh \
#       configs/consistency_models/train/trigflow_adm-unet_8xb256-600k_imagenet-64x64.py 8 \
#       --work-dir work_dirs/trigflow_imagenet64
_base_ = [
    '../../_base_/recipes/trigflow_adm-unet_imagenet-64x64.py',
    '../../_base_/recipes/imagenet-64x64.py'
]
