# Continuous-time consistency training (sCT, Lu & Song 2024) on CIFAR-10
# with sCM's objective settings (lognormal t with P_mean -1.0, P_std 1.4,
# tangent normalisation c = 0.1, warm-up over 10k iterations, learned
# adaptive weighting, PixelNorm in the adaptive GroupNorm) on the network
# and budget of the CIFAR-10 iCT recipe; Adam betas (0.9, 0.99).
#   bash tools/dist_train.sh \
#       configs/consistency_models/train/scm-sct_adm-unet_8xb128-400k_cifar10-32x32.py 8
_base_ = [
    '../../_base_/models/cm_adm-unet_cifar10-32x32.py',
    '../../_base_/recipes/cifar10-32x32.py'
]

model = dict(
    type='TrigFlowTrainer',
    unet=dict(pixel_norm=True, dropout=0.2),
    # c_noise(t) = t: with 1000 t, sCD on the digits turned to noise
    preconditioner=dict(type='TrigFlowPreconditioner', time_scale=1.0),
    objective=dict(
        type='SCMObjective',
        p_mean=-1.0,
        p_std=1.4,
        warmup_steps=10000,
        tangent_norm_c=0.1),
    adaptive_weighting=True,
    ema_decays=(0.99993, ))

optim_wrapper = dict(optimizer=dict(betas=(0.9, 0.99)))
