# Continuous-time consistency training (Song et al. 2023, N -> infinity,
# squared l2 metric) on the digits, at the budget of the other digits
# recipes:
#   python tools/train.py \
#       configs/consistency_models/train/cm-ct-continuous_adm-unet_1xb32-1k_digits-16x16.py
# The target is the online network (mu = 0); the N(k) curriculum (the CT
# digits recipe's fixed 12-point grid) is unused.
_base_ = [
    '../../_base_/recipes/cm-ict_adm-unet_digits-16x16.py',
    '../../_base_/recipes/digits-16x16.py'
]

# It weights each sample by |tau'(u)| (time_weight='karras'): with the
# objective's default weight one (OpenAI's continuous-time code) the same
# run learns nothing at this budget (one-step samples classified as the
# class asked for: 0.10, chance; the small-data classifier reads only the
# training split).
model = dict(
    objective=dict(
        _delete_=True, type='ContinuousConsistencyObjective',
        weighting='uniform', time_weight='karras'),
    curriculum=dict(
        scales=dict(_delete_=True, type='FixedScales', scales=12)))
