# Improved consistency training (methods/cm-ict.py) of the digits UNet, the
# base of the digits consistency recipes: pseudo-Huber distance
# (c = 0.00054 sqrt(d)), lognormal pair sampling (P_mean = -1.1, P_std =
# 2.0), weighting 1 / (sigma_{n+1} - sigma_n), N doubling from s0 = 10 (to
# 80 at the 1,000 iterations of recipes/digits-16x16.py: four stages of 250
# iterations), no target EMA (mu = 0) and a separate evaluation EMA 0.99.
_base_ = [
    '../models/cm_adm-unet_digits-16x16.py',
    '../methods/cm-ict.py'
]

model = _base_.improved_consistency_training.copy()
model.merge(dict(
    training=dict(
        # N reaches 80 at the data recipe's 1,000 iterations
        curriculum=dict(scales=dict(end_scales=80, total_steps=1000)),
        averages=dict(ema_decays=(0.99, )))))
