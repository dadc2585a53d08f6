# The name mmagic users know: two-step sampling with CD (LPIPS) on LSUN Bedroom-256.
_base_ = './cd-lpips_adm-unet_2step_lsun-bedroom-256x256.py'
