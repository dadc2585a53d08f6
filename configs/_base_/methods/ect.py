# Easy consistency tuning (ECT, Geng et al. 2024, "Consistency Models Made
# Easy"): consistency training that starts from a diffusion model (set
# `training.init_from`) and keeps its EDM parameterisation, with the
# paper's lognormal t (P_mean = -1.1, P_std = 2.0), mapping
# r = t (1 - n(t) / q^a), n(t) = 1 + 8 sigmoid(-t), the gap shrinking by
# q = 2 per stage, 1 / (t - r) weighting and the l2 norm (c = 0, its code's
# default); the target is the online network (mu = 0).
#
# A recipe merges `training.init_from`, the stage length, dropout and EMA
# rates into a copy of `easy_consistency_tuning` and takes that as its
# model.
easy_consistency_tuning = dict(
    parameterisation=dict(type='EDMParameterisation'),
    training=dict(
        objective=dict(type='ECTObjective'),
        curriculum=dict(
            type='ConsistencyCurriculum',
            scales=dict(type='StagedScales', q=2, stage_iters=25000),
            target_ema=dict(type='FixedTargetEMA', decay=0.0))))
