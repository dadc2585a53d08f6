# The bundled default: a tiny consistency model for CPU demos and tests.
# `tools/create_random_checkpoint.py` writes an official-format checkpoint
# (a plain UNet state dict) with random weights for it.
_base_ = [
    '../../_base_/models/cm_adm-unet_tiny-32x32.py',
    '../../_base_/default_runtime.py'
]

model = dict(sampling_cfg=dict(sampler='multistep', steps=40, ts=(0, 22, 39)))
