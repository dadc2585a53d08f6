# Improved consistency training (methods/cm-ict.py) on CIFAR-10 at the
# paper's scale: dropout 0.3, pseudo-Huber c = 0.03, lognormal pairs
# (P_mean -1.1, P_std 2.0), weighting 1 / (sigma_{n+1} - sigma_n), N
# doubling from 10 to 1280, no target EMA, evaluation EMA 0.99993. (ADM UNet
# in place of NCSN++.) With recipes/cifar10-32x32.py for the data, RAdam and
# the 400k iterations.
#
# The network is models/cm_adm-unet_cifar10-32x32.py's, written out on the
# ImageNet-64 model base: a recipe's model base is a leaf, so that the
# configs on top of it stay three levels deep.
_base_ = [
    '../models/cm_adm-unet_imagenet-64x64.py',
    '../methods/cm-ict.py'
]

model = _base_.improved_consistency_training.copy()
model.merge(dict(
    unet=dict(
        image_size=32,
        model_channels=128,
        num_res_blocks=4,
        attention_resolutions=(16, ),
        channel_mult=(1, 2, 2, 2),
        dropout=0.3,
        num_classes=None),
    # N reaches 1280 at the data recipe's 400k iterations
    curriculum=dict(scales=dict(end_scales=1280, total_steps=400000)),
    ema_decays=(0.99993, )))
