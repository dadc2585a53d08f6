# Improved consistency training (iCT, Song & Dhariwal 2023) of the digits
# UNet, the base of the digits consistency recipes: pseudo-Huber distance
# (c = 0.00054 sqrt(d)), lognormal pair sampling (P_mean = -1.1, P_std =
# 2.0), weighting 1 / (sigma_{n+1} - sigma_n), N doubling from s0 = 10 (to
# 80 at the 1,000 iterations of recipes/digits-16x16.py: four stages of 250
# iterations), no target EMA (mu = 0) and a separate evaluation EMA 0.99.
_base_ = '../models/cm_adm-unet_digits-16x16.py'

model = dict(
    type='ConsistencyTrainer',
    objective=dict(
        type='ConsistencyObjective',
        distance='pseudo-huber',
        weighting='inverse-gap',
        index_sampling=dict(kind='lognormal', p_mean=-1.1, p_std=2.0)),
    curriculum=dict(
        type='ConsistencyCurriculum',
        scales=dict(
            type='ExponentialScales',
            start_scales=10,
            end_scales=80,
            total_steps=1000),  # the data recipe's max_iters
        target_ema=dict(type='FixedTargetEMA', decay=0.0)),
    ema_decays=(0.99, ))
