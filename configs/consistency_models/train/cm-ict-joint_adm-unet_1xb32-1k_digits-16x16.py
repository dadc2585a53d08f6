# Joint consistency + diffusion training on the digits: the iCT recipe plus
# an EDM denoising head on the same UNet torso, at the same budget (1,000
# iterations of 32 images):
#   python tools/train.py \
#       configs/consistency_models/train/cm-ict-joint_adm-unet_1xb32-1k_digits-16x16.py
#
# loss = L_iCT + diffusion_weight * L_EDM (lognormal sigma, EDM weighting;
# methods/cm-ict.py).
# The consistency head samples as usual; the diffusion head samples from the
# same checkpoint with
#   --cfg-options model.network.output_head=diffusion \
#       model.parameterisation.type=EDMParameterisation \
#       --sampler heun --steps 18
_base_ = [
    '../../_base_/recipes/cm-ict_adm-unet_digits-16x16.py',
    '../../_base_/recipes/digits-16x16.py'
]

model = _base_.joint_consistency_diffusion
