# Truncated consistency models (TCM, Lee et al. 2025), stage 2: a copy of a
# trained consistency model (stage 1, `training.teacher.checkpoint`, which
# also starts the student and its EMAs) is trained on t >= t' = 1 only;
# targets below t' come from the frozen stage-1 model, and a quarter of each
# batch sits at t' itself (the boundary loss, weight 0.1). log t follows a
# Student-t law (location 0, scale 0.2, 0.01 degrees of freedom) truncated
# to [t', 80]; the pairs are easy consistency tuning's (r = t - t n(t) / q^a,
# n(t) = 1 + 8 sigmoid(-t)) with the gap held where stage 1 left it: here
# the authors' cap on the ratio, 1 - 1 / q^a <= 0.999; weighting 1 / (t - r);
# the target is the online network (mu = 0). The authors' code:
# NVlabs/TCM training/loss.py and training/networks_tcm.py.
#
# A recipe merges the stage-1 checkpoint, the distance, the cap and its
# optimisation into a copy of `truncated_consistency_training`.
truncated_consistency_training = dict(
    parameterisation=dict(type='EDMParameterisation'),
    training=dict(
        objective=dict(type='TCMObjective'),
        curriculum=dict(
            type='ConsistencyCurriculum',
            scales=dict(
                type='StagedScales', q=2, stage_iters=25000, start_stage=9,
                ratio_limit=0.999),
            target_ema=dict(type='FixedTargetEMA', decay=0.0))))
