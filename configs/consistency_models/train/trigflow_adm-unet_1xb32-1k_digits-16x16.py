# A TrigFlow diffusion model on the digits (v-prediction, Lu & Song 2024),
# the teacher that sCD distils:
#   python tools/train.py \
#       configs/consistency_models/train/trigflow_adm-unet_1xb32-1k_digits-16x16.py
# It samples with Heun (validation: 18 steps) through the same
# TrigFlowParameterisation.
_base_ = [
    '../../_base_/recipes/scm-sct_adm-unet_digits-16x16.py',
    '../../_base_/recipes/digits-16x16.py'
]

model = dict(
    training=dict(
        objective=dict(_base_.trigflow.training.objective, _delete_=True)),
    sampling_cfg=dict(sampler='heun', steps=18))

val_cfg = dict(settings=dict(_delete_=True, heun=dict(sampler='heun',
                                                       steps=18)))
