# MeanFlow (Geng et al. 2025): flow matching z_t = (1 - t) x + t e with a
# network of the average velocity u(z_t, r, t) that reads (t, t - r)
# (ADMUNet with num_time_inputs=2), the target v - (t - r) du/dt through
# one JVP, logit-normal t and r with r = t for a quarter of the samples,
# the adaptive weighting 1 / (loss + 1e-3)^0.75, one-step sampling from
# t = 1: the defaults of the official code (Gsunshine/py-meanflow,
# train_arg_parser.py). No target network, no curriculum.
#
# A recipe merges its own values (EMA rates, dropout) into a copy of
# `meanflow` and takes that as its model, on a model base.
meanflow = dict(
    network=dict(num_time_inputs=2),
    parameterisation=dict(
        _delete_=True, type='MeanFlowParameterisation', time_scale=1000.0),
    training=dict(
        objective=dict(
            type='MeanFlowObjective', time_sampler='v1', p_mean_t=-0.6,
            p_std_t=1.6, p_mean_r=-4.0, p_std_r=1.6, ratio=0.75,
            norm_p=0.75, norm_eps=1e-3)),
    sampling_cfg=dict(sampler='onestep'))
