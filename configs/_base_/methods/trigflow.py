# TrigFlow (Lu & Song 2024): x_t = cos(t) x_0 + sin(t) z, PixelNorm on the
# UNet's adaptive GroupNorm, learned adaptive weighting (its log-variance
# head on EDM2's Fourier features of c_noise), lognormal time
# (P_mean = -1.0, P_std = 1.4).
#
# `trigflow`: the TrigFlow diffusion model (v-prediction), the teacher that
# sCD distils. A recipe or config merges its own values (EMA rates, an sCM
# objective) into a copy and takes that as its model, on a model base.
trigflow = dict(
    network=dict(pixel_norm=True),
    # c_noise(t) = t: with 1000 t, sCD on the digits turned to noise
    parameterisation=dict(type='TrigFlowParameterisation', time_scale=1.0),
    training=dict(
        objective=dict(type='TrigFlowObjective', p_mean=-1.0, p_std=1.4),
        log_variance=dict(embedding='fourier')))

# `scm_objective`: continuous-time consistency models (sCT; sCD with a
# teacher) on TrigFlow: the JVP tangent with normalisation (c = 0.1) and a
# warm-up whose length (warmup_steps) the config sets, the prior weighting
# 1 / (sigma_d tan t); no target network (F^- is the online network). A
# config takes it as `training.objective`.
scm_objective = dict(
    type='SCMObjective', p_mean=-1.0, p_std=1.4, tangent_norm_c=0.1,
    prior_weighting=True)
