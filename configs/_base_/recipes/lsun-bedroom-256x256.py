# Training data on LSUN Bedroom-256: the images (global batch 256 on 8
# GPUs), the metrics against OpenAI's reference batch and the runtime, for
# the LSUN method recipes (recipes/<method>_lsun-256x256.py).
_base_ = [
    '../datasets/lsun-bedroom-256x256.py',
    '../evaluation/lsun-bedroom-256x256.py',
    '../default_runtime.py'
]
