# One-step sampling from the bundled digits model, trained on a CPU with
# configs/consistency_models/train/cm-ct_adm-unet_1xb32-1k_digits-16x16.py
# (checkpoints/cm-ct_digits-16x16_ema.pt: its EMA weights, official format).
_base_ = [
    '../../_base_/models/cm_adm-unet_digits-16x16.py',
    '../../_base_/evaluation/digits-16x16.py',
    '../../_base_/default_runtime.py'
]

model = dict(sampling_cfg=dict(sampler='onestep'))
