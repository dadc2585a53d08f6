# LSUN Cat 256x256, unconditional: the LSUN Bedroom settings with another
# folder.
#
# Expected layout: a folder of images exported from the LSUN cat lmdb with
# the official `datasets/lsun_bedroom.py` (it works for any LSUN lmdb):
#   python datasets/lsun_bedroom.py --prefix cat cat_lmdb data/lsun_cat256
# giving data/lsun_cat256/cat_0000000.png, ...
_base_ = './lsun-bedroom-256x256.py'

data_root = 'data/lsun_cat256'
train_dataloader = dict(dataset=dict(data_root=data_root))
