# The name mmagic users know: two-step sampling with CT on LSUN Cat-256 (indices 0, 62, 150 of 151).
_base_ = './ct_adm-unet_2step_lsun-cat-256x256.py'
