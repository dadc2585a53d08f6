# Continuous-time consistency training (sCT, Lu & Song 2024) of the digits
# UNet, the base of the digits TrigFlow recipes (sCT, sCD, TrigFlow
# diffusion): TrigFlow parameterisation, the JVP tangent with normalisation
# (c = 0.1) and warm-up (100 iterations here), learned adaptive weighting,
# lognormal time (P_mean -1.0, P_std 1.4), PixelNorm on the UNet's adaptive
# GroupNorm (methods/trigflow.py), evaluation EMA 0.99. No target network:
# F^- is the online network. With recipes/digits-16x16.py for the data and
# the budget.
_base_ = [
    '../models/cm_adm-unet_digits-16x16.py',
    '../methods/trigflow.py'
]

# The digits keep ADM's sinusoidal embedding in the log-variance head and
# no prior weighting: README's digits study compares both choices.
model = _base_.trigflow.copy()
model.merge(dict(
    training=dict(
        objective=dict(_base_.scm_objective, _delete_=True,
                       warmup_steps=100, prior_weighting=False),
        log_variance=dict(embedding='sinusoidal'),
        averages=dict(ema_decays=(0.99, )))))
