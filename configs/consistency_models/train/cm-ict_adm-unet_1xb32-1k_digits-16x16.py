# Improved consistency training (iCT, Song & Dhariwal 2023) on the digits at
# the budget of the CT digits recipe (1,000 iterations of 32 images), so the
# two compare at equal cost:
#   python tools/train.py \
#       configs/consistency_models/train/cm-ict_adm-unet_1xb32-1k_digits-16x16.py
#
# iCT's choices (recipes/cm-ict_adm-unet_digits-16x16.py): pseudo-Huber
# distance, lognormal pair sampling, weighting 1 / (sigma_{n+1} - sigma_n),
# N doubling from s0 = 10 (to 80 at this budget), no target EMA (mu = 0)
# and a separate evaluation EMA.
_base_ = [
    '../../_base_/recipes/cm-ict_adm-unet_digits-16x16.py',
    '../../_base_/recipes/digits-16x16.py'
]
