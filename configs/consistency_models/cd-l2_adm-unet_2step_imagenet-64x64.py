# Sampling with the official cd_imagenet64_l2.pt checkpoint: the official
# launch script gives it the two-step indices of the LPIPS one, so the
# config is the same.
_base_ = './cd-lpips_adm-unet_2step_imagenet-64x64.py'
