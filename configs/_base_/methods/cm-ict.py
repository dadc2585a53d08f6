# Improved consistency training (iCT, Song & Dhariwal 2023): pseudo-Huber
# distance (c = 0.00054 sqrt(d)), lognormal pair sampling (P_mean = -1.1,
# P_std = 2.0), weighting 1 / (sigma_{n+1} - sigma_n), N doubling from
# s0 = 10, no target EMA (mu = 0).
#
# A method recipe (recipes/cm-ict_*.py) merges the end of N, the iterations
# over which it doubles and the evaluation EMA into a copy of
# `improved_consistency_training` and takes that as its model, on its model
# base.
improved_consistency_training = dict(
    training=dict(
        objective=dict(
            type='ConsistencyObjective',
            distance='pseudo-huber',
            weighting='inverse-gap',
            index_sampling=dict(kind='lognormal', p_mean=-1.1, p_std=2.0)),
        curriculum=dict(
            type='ConsistencyCurriculum',
            scales=dict(type='ExponentialScales', start_scales=10),
            target_ema=dict(type='FixedTargetEMA', decay=0.0))))

# Joint consistency + diffusion training, an iCT config's variant: an EDM
# denoising head on the network's torso (lognormal sigma, EDM weighting)
# trained next to the consistency loss, loss = L_iCT + diffusion_weight *
# L_EDM. A config on an iCT recipe takes it as its model: its objective
# becomes a JointObjective whose consistency part is iCT's.
joint_consistency_diffusion = dict(
    network=dict(diffusion_head=True),
    training=dict(
        objective=dict(
            _delete_=True,
            type='JointObjective',
            consistency=improved_consistency_training['training']
            ['objective'],
            diffusion=dict(type='EDMObjective', p_mean=-1.2, p_std=1.2),
            diffusion_weight=1.0)))
