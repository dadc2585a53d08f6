# Consistency training with the official CT curriculum (methods/cm-ct.py: N
# growing from 2, adaptive target EMA from mu0 = 0.95) on scikit-learn's
# digits, at settings that learn within minutes on a CPU: batch 64, RAdam
# lr 2e-3, N from 2 to 12 over the run, l2 distance, uniform weighting.
#   python tools/train.py \
#       configs/consistency_models/train/cm-ct_adm-unet_1xb64-1k_digits-16x16.py
_base_ = [
    '../../_base_/models/cm_adm-unet_digits-16x16.py',
    '../../_base_/methods/cm-ct.py',
    '../../_base_/recipes/digits-16x16.py'
]

model = _base_.consistency_training.copy()
model.merge(dict(
    objective=dict(distance='l2'),
    curriculum=dict(scales=dict(end_scales=11, total_steps=1000)),
    ema_decays=(0.99, )))
train_dataloader = dict(batch_size=64)
optim_wrapper = dict(optimizer=dict(lr=2e-3))
