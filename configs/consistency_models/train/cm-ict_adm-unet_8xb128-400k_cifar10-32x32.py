# Improved consistency training (Song & Dhariwal 2023) on CIFAR-10 at the
# paper's scale: global batch 1024, 400k iterations, RAdam lr 1e-4, dropout
# 0.3, pseudo-Huber c = 0.03, lognormal pairs (P_mean -1.1, P_std 2.0),
# weighting 1 / (sigma_{n+1} - sigma_n), N doubling from 10 to 1280, no
# target EMA, evaluation EMA 0.99993. (ADM UNet in place of NCSN++.)
#   bash tools/dist_train.sh \
#       configs/consistency_models/train/cm-ict_adm-unet_8xb128-400k_cifar10-32x32.py 8
_base_ = [
    '../../_base_/recipes/cm-ict_adm-unet_cifar10-32x32.py',
    '../../_base_/recipes/cifar10-32x32.py'
]
