# Consistency training (CT, Song et al. 2023) as the official launch script:
# LPIPS, uniform weighting, no teacher, adaptive mu (mu_0 = 0.95) with N
# growing from 2.
#
# A method recipe (recipes/cm-ct_*.py) merges the end of N, the iterations
# over which it grows and the EMA rates of its launch script line into a
# copy of `consistency_training` and takes that as its model, on its model
# base.
consistency_training = dict(
    training=dict(
        objective=dict(
            type='ConsistencyObjective', distance='lpips',
            weighting='uniform'),
        curriculum=dict(
            type='ConsistencyCurriculum',
            scales=dict(type='ProgressiveScales', start_scales=2),
            target_ema=dict(type='AdaptiveTargetEMA', start_ema=0.95))))
