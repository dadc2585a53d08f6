# Improved consistency training (iCT, Song & Dhariwal 2023) on the digits at
# the budget of the CT digits recipe (1,000 iterations of 32 images), so the
# two compare at equal cost:
#   python tools/train.py \
#       configs/consistency_models/train/cm-ict_adm-unet_1xb32-1k_digits-16x16.py
#
# iCT's choices: pseudo-Huber distance (c = 0.00054 sqrt(d)), lognormal pair
# sampling (P_mean = -1.1, P_std = 2.0), weighting 1 / (sigma_{n+1} -
# sigma_n), N doubling from s0 = 10 (to 80 at this budget: four stages of
# 250 iterations), no target EMA (mu = 0) and a separate evaluation EMA.
_base_ = './cm-ct_adm-unet_1xb32-1k_digits-16x16.py'

max_iters = 1000
model = dict(
    objective=dict(
        type='ConsistencyObjective',
        distance='pseudo-huber',
        weighting='inverse-gap',
        index_sampling=dict(kind='lognormal', p_mean=-1.1, p_std=2.0)),
    curriculum=dict(
        type='ConsistencyCurriculum',
        scales=dict(
            _delete_=True,
            type='ExponentialScales',
            start_scales=10,
            end_scales=80,
            total_steps=max_iters),
        target_ema=dict(type='FixedTargetEMA', decay=0.0)))
