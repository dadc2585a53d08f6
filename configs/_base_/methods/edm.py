# EDM (Karras et al. 2022), the teachers of consistency distillation.
#
# `edm`: training as the official launch script: dropout 0.1, EDM scalings,
# lognormal sigmas (P_mean = -1.2, P_std = 1.2), Karras weighting, EMA rates
# 0.999, 0.9999 and 0.9999432189950708, 40-step Heun sampling. A method
# recipe (recipes/edm_*.py) takes it as its model, on its model base.
edm = dict(
    network=dict(dropout=0.1),
    parameterisation=dict(type='EDMParameterisation'),
    training=dict(
        objective=dict(
            type='EDMObjective', p_mean=-1.2, p_std=1.2, weighting='karras'),
        averages=dict(ema_decays=(0.999, 0.9999, 0.9999432189950708))),
    sampling_cfg=dict(sampler='heun', steps=40))

# `edm_sampling`: sampling an official EDM checkpoint (edm_*_ema.pt) as the
# official script: the network as trained, EDM scalings, 40-step Heun
# without churn. A zoo config adds its model base's noise generator.
edm_sampling = dict(
    parameterisation=dict(type='EDMParameterisation'),
    network=dict(dropout=0.1),
    sampling_cfg=dict(
        sampler='heun', steps=40, s_churn=0.0, seed=42, clip_denoised=True))
