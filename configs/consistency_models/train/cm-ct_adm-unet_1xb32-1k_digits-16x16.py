# Consistency training (CT) from scratch on scikit-learn's digits at 16x16,
# sized for a 2-core CPU: 1,000 iterations, about four minutes, one
# process; its one-step samples are recognisable digits.
#   python tools/train.py \
#       configs/consistency_models/train/cm-ct_adm-unet_1xb32-1k_digits-16x16.py
#
# At this budget the official CT curriculum (adaptive mu, N growing from 2)
# only learns the data mean; following improved CT (Song & Dhariwal, 2023),
# the target is the online network itself (mu = 0, the iCT recipe's) on a
# fixed 12-point grid, with CT's l2 distance and uniform weighting.
_base_ = [
    '../../_base_/recipes/cm-ict_adm-unet_digits-16x16.py',
    '../../_base_/recipes/digits-16x16.py'
]

model = dict(
    training=dict(
        objective=dict(
            _delete_=True,
            type='ConsistencyObjective',
            distance='l2',
            weighting='uniform'),
        curriculum=dict(
            scales=dict(_delete_=True, type='FixedScales', scales=12))))
