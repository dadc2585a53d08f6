# Joint consistency + diffusion training on CIFAR-10: the iCT recipe with an
# EDM denoising head on the shared UNet torso (loss = L_iCT + L_EDM;
# methods/cm-ict.py).
#   bash tools/dist_train.sh \
#       configs/consistency_models/train/cm-ict-joint_adm-unet_8xb128-400k_cifar10-32x32.py 8
_base_ = [
    '../../_base_/recipes/cm-ict_adm-unet_cifar10-32x32.py',
    '../../_base_/recipes/cifar10-32x32.py'
]

model = _base_.joint_consistency_diffusion
