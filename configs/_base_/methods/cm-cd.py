# Consistency distillation (CD, Song et al. 2023) as the official launch
# script: l2 (a config may say LPIPS), uniform weighting, N = 40, mu = 0.95,
# the EDM teacher with dropout 0.1, the student initialised from it.
#
# A method recipe (recipes/cm-cd_*.py) merges its data set's teacher
# checkpoint and EMA rates into a copy of `consistency_distillation` and
# takes that as its model, on its model base.
consistency_distillation = dict(
    training=dict(
        objective=dict(
            type='ConsistencyObjective', distance='l2', weighting='uniform'),
        curriculum=dict(
            type='ConsistencyCurriculum',
            scales=dict(type='FixedScales', scales=40),
            target_ema=dict(type='FixedTargetEMA', decay=0.95)),
        teacher=dict(dropout=0.1, init_student=True)))
