# Easy consistency tuning (ECT, Geng et al. 2024) of the digits EDM
# teacher, at the budget of the other digits recipes (the teacher's own
# 1,000 iterations are counted apart):
#   python tools/train.py \
#       configs/consistency_models/train/edm_adm-unet_1xb32-1k_digits-16x16.py \
#       --work-dir work_dirs/edm_digits
#   python tools/train.py \
#       configs/consistency_models/train/ect_adm-unet_1xb32-1k_digits-16x16.py
# The online network starts from the teacher's EMA weights and keeps the
# EDM parameterisation (f(x, 0) = x). The pair gap t - r shrinks by q = 2
# every 250 iterations (four stages), with the paper's lognormal t,
# mapping n(t) = 1 + 8 sigmoid(-t), 1 / (t - r) weighting, l2 norm and
# dropout; the target is the online network (mu = 0).
_base_ = [
    '../../_base_/models/cm_adm-unet_digits-16x16.py',
    '../../_base_/recipes/digits-16x16.py'
]

model = dict(
    type='ConsistencyTrainer',
    init_from='work_dirs/edm_digits/iter_1000.pth',
    unet=dict(dropout=0.1),
    preconditioner=dict(type='EDMPreconditioner'),
    objective=dict(type='ECTObjective'),
    curriculum=dict(
        type='ConsistencyCurriculum',
        scales=dict(type='StagedScales', q=2, stage_iters=250),
        target_ema=dict(type='FixedTargetEMA', decay=0.0)),
    ema_decays=(0.99, ))
