# Continuous-time consistency training (sCT, Lu & Song 2024) on CIFAR-10
# with sCM's objective settings (_base_/methods/trigflow.py: lognormal t
# with P_mean -1.0, P_std 1.4, tangent normalisation c = 0.1, learned
# adaptive weighting with the prior weighting 1 / (sigma_d tan t), PixelNorm
# in the adaptive GroupNorm), a warm-up over 10k iterations and its CIFAR-10
# optimisation (Appendix G.2: RAdam lr 1e-4, betas (0.9, 0.99), no lr
# schedule, dropout 0.2, EMA half-life 0.5M images: 0.5 ** (1024 / 500000)
# an iteration at this batch), on the network and budget of the CIFAR-10
# iCT recipe (global batch 1024, 400k iterations; sCM uses its teacher's
# 512 and starts from a TrigFlow diffusion model, which this recipe does
# not: it trains from random initialisation).
#   bash tools/dist_train.sh \
#       configs/consistency_models/train/scm-sct_adm-unet_8xb128-400k_cifar10-32x32.py 8
_base_ = [
    '../../_base_/models/cm_adm-unet_cifar10-32x32.py',
    '../../_base_/methods/trigflow.py',
    '../../_base_/recipes/cifar10-32x32.py'
]

model = _base_.trigflow.copy()
model.merge(dict(
    network=dict(dropout=0.2),
    training=dict(
        objective=dict(_base_.scm_objective, _delete_=True,
                       warmup_steps=10000),
        averages=dict(ema_decays=(0.9985814416806048, )))))

optim_wrapper = dict(optimizer=dict(type='RAdam', betas=(0.9, 0.99)))
