# Continuous-time consistency training (Song et al. 2023, N -> infinity,
# squared l2 metric) on the digits, at the budget of the other digits
# recipes:
#   python tools/train.py \
#       configs/consistency_models/train/cm-ct-continuous_adm-unet_1xb32-1k_digits-16x16.py
# The target is the online network (mu = 0); the N(k) curriculum is unused.
_base_ = './cm-ct_adm-unet_1xb32-1k_digits-16x16.py'

model = dict(
    objective=dict(
        _delete_=True, type='ContinuousConsistencyObjective',
        weighting='uniform'))
