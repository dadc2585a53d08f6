# Continuous-time consistency training (sCT, Lu & Song 2024) of the digits
# UNet, the base of the digits TrigFlow recipes (sCT, sCD, TrigFlow
# diffusion): TrigFlow parameterisation, the JVP tangent with normalisation
# (c = 0.1) and warm-up (100 iterations here), learned adaptive weighting,
# lognormal time (P_mean -1.0, P_std 1.4), PixelNorm on the UNet's adaptive
# GroupNorm, evaluation EMA 0.99. No target network: F^- is the online
# network. With recipes/digits-16x16.py for the data and the budget.
_base_ = '../models/cm_adm-unet_digits-16x16.py'

model = dict(
    type='TrigFlowTrainer',
    unet=dict(pixel_norm=True),
    # c_noise(t) = t: with 1000 t, sCD on the digits turned to noise
    preconditioner=dict(type='TrigFlowPreconditioner', time_scale=1.0),
    objective=dict(
        type='SCMObjective',
        p_mean=-1.0,
        p_std=1.4,
        warmup_steps=100,
        tangent_norm_c=0.1),
    adaptive_weighting=True,
    ema_decays=(0.99, ))
