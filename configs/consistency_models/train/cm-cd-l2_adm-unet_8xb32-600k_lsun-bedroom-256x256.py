# Consistency distillation with the l2 metric on LSUN Bedroom-256, as the
# official launch script: global batch 256 (8 GPUs x 32), RAdam lr 1e-5,
# mu = 0.95, N = 40, 600k iterations, EMA rates 0.9999, 0.99994 and
# 0.9999432189950708, the EDM teacher with dropout 0.1. Add --amp fp16 as they did.
_base_ = [
    '../../_base_/recipes/cm-cd_adm-unet_lsun-256x256.py',
    '../../_base_/recipes/lsun-bedroom-256x256.py'
]
