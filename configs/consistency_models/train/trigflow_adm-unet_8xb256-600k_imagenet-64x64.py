# A TrigFlow diffusion model (v-prediction, Lu & Song 2024) on ImageNet-64
# with the ADM architecture of the released checkpoints, PixelNorm on its
# adaptive GroupNorm, dropout 0.1, lognormal time (P_mean -0.8, P_std 1.6),
# Adam eps 1e-11, no flips: the teacher that sCD distils. It samples with
# Heun through the TrigFlowParameterisation.
#   bash tools/dist_train.sh \
#       configs/consistency_models/train/trigflow_adm-unet_8xb256-600k_imagenet-64x64.py 8 \
#       --work-dir work_dirs/trigflow_imagenet64
_base_ = [
    '../../_base_/recipes/trigflow_adm-unet_imagenet-64x64.py',
    '../../_base_/recipes/imagenet-64x64.py'
]

# sCM reads ImageNet without horizontal flips (Appendix G.1).
train_dataloader = dict(
    dataset=dict(pipeline=[
        dict(type='LoadImageRGB'),
        dict(type='CenterCropADM', image_size=64),
        dict(type='PackConsistencyInputs'),
    ]))
