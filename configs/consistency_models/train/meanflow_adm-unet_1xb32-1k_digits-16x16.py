# MeanFlow (methods/meanflow.py) on the digits, at the budget of the other
# digits recipes (1,000 iterations of 32 images), one-step sampling:
#   python tools/train.py \
#       configs/consistency_models/train/meanflow_adm-unet_1xb32-1k_digits-16x16.py
# The digits network reads the two noise inputs (t, t - r); evaluation EMA
# 0.99 as the other digits recipes.
_base_ = [
    '../../_base_/models/cm_adm-unet_digits-16x16.py',
    '../../_base_/methods/meanflow.py',
    '../../_base_/recipes/digits-16x16.py'
]

model = _base_.meanflow.copy()
model.merge(dict(training=dict(averages=dict(ema_decays=(0.99, )))))

# One and two steps; MeanFlow's two steps are jumps along its flow (t = 1,
# 0.5, 0: the meanflow sampler), not the re-noising of consistency models'
# multistep sampling that the other digits recipes validate.
val_cfg = dict(settings=dict(
    _delete_=True, onestep=dict(sampler='onestep'),
    twostep=dict(sampler='meanflow', steps=2)))
