# Joint consistency + diffusion training on CIFAR-10: the iCT recipe with an
# EDM denoising head on the shared UNet torso (loss = L_iCT + L_EDM).
#   bash tools/dist_train.sh \
#       configs/consistency_models/train/cm-ict-joint_adm-unet_8xb128-400k_cifar10-32x32.py 8
_base_ = [
    '../../_base_/recipes/cm-ict_adm-unet_cifar10-32x32.py',
    '../../_base_/recipes/cifar10-32x32.py'
]

model = dict(
    type='JointConsistencyTrainer',
    unet=dict(diffusion_head=True),
    diffusion_objective=dict(type='EDMObjective', p_mean=-1.2, p_std=1.2),
    diffusion_weight=1.0)
