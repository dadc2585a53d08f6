# Easy consistency tuning (ECT, methods/ect.py) of the digits EDM teacher,
# at the budget of the other digits recipes (the teacher's own 1,000
# iterations are counted apart):
#   python tools/train.py \
#       configs/consistency_models/train/edm_adm-unet_1xb32-1k_digits-16x16.py \
#       --work-dir work_dirs/edm_digits
#   python tools/train.py \
#       configs/consistency_models/train/ect_adm-unet_1xb32-1k_digits-16x16.py
# The online network starts from the teacher's EMA weights; the pair gap
# t - r halves every 250 iterations (four stages), with dropout 0.1.
_base_ = [
    '../../_base_/models/cm_adm-unet_digits-16x16.py',
    '../../_base_/methods/ect.py',
    '../../_base_/recipes/digits-16x16.py'
]

model = _base_.easy_consistency_tuning.copy()
model.merge(dict(
    network=dict(dropout=0.1),
    training=dict(
        init_from='work_dirs/edm_digits/iter_1000.pth',
        curriculum=dict(scales=dict(stage_iters=250)),
        averages=dict(ema_decays=(0.99, )))))
