# Training data on LSUN Cat-256: the Bedroom images' settings with the Cat
# folder (as datasets/lsun-cat-256x256.py, whose layout notes apply; it sits
# one level deeper, so a recipe names the Bedroom leaf), the metrics against
# OpenAI's Cat reference batch and the runtime.
_base_ = [
    '../datasets/lsun-bedroom-256x256.py',
    '../evaluation/lsun-cat-256x256.py',
    '../default_runtime.py'
]

data_root = 'data/lsun_cat256'
train_dataloader = dict(dataset=dict(data_root=data_root))
