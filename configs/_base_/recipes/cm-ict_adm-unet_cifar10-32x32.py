# Improved consistency training (methods/cm-ict.py) on CIFAR-10 at the
# paper's scale: dropout 0.3, pseudo-Huber c = 0.03, lognormal pairs
# (P_mean -1.1, P_std 2.0), weighting 1 / (sigma_{n+1} - sigma_n), N
# doubling from 10 to 1280, no target EMA, evaluation EMA 0.99993. (ADM UNet
# in place of NCSN++: models/cm_adm-unet_cifar10-32x32.py.) With
# recipes/cifar10-32x32.py for the data, RAdam and the 400k iterations.
_base_ = [
    '../models/cm_adm-unet_cifar10-32x32.py',
    '../methods/cm-ict.py'
]

model = _base_.improved_consistency_training.copy()
model.merge(dict(
    training=dict(
        # N reaches 1280 at the data recipe's 400k iterations
        curriculum=dict(scales=dict(end_scales=1280, total_steps=400000)),
        averages=dict(ema_decays=(0.99993, )))))
