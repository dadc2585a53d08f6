# Training data on LSUN Cat-256: the Cat images (datasets/lsun-cat-256x256.py,
# the Bedroom settings with the Cat folder), the metrics against OpenAI's
# Cat reference batch and the runtime, for the LSUN method recipes
# (recipes/<method>_lsun-256x256.py).
_base_ = [
    '../datasets/lsun-cat-256x256.py',
    '../evaluation/lsun-cat-256x256.py',
    '../default_runtime.py'
]
