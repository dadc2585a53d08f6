# Continuous-time consistency training (sCT, Lu & Song 2024) on the digits,
# at the budget of the other digits recipes (1,000 iterations of 32):
#   python tools/train.py \
#       configs/consistency_models/train/scm-sct_adm-unet_1xb32-1k_digits-16x16.py
#
# TrigFlow parameterisation, the JVP tangent with normalisation (c = 0.1)
# and warm-up (100 iterations here), learned adaptive weighting, lognormal
# time (P_mean -1.0, P_std 1.4), and the digits UNet with PixelNorm on its
# adaptive GroupNorm (recipes/scm-sct_adm-unet_digits-16x16.py). No target
# network: F^- is the online network.
_base_ = [
    '../../_base_/recipes/scm-sct_adm-unet_digits-16x16.py',
    '../../_base_/recipes/digits-16x16.py'
]
