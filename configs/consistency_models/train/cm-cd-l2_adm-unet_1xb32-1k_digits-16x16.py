# Consistency distillation (CD, l2) on scikit-learn's digits at 16x16, from
# the digits EDM teacher (train it first, about four minutes):
#   python tools/train.py \
#       configs/consistency_models/train/edm_adm-unet_1xb32-1k_digits-16x16.py \
#       --work-dir work_dirs/edm_digits
#   python tools/train.py \
#       configs/consistency_models/train/cm-cd-l2_adm-unet_1xb32-1k_digits-16x16.py
#
# The student starts from the teacher's weights; each pair is one Heun step
# of the teacher's ODE on the 18-point grid the teacher samples with.
_base_ = [
    '../../_base_/models/cm_adm-unet_digits-16x16.py',
    '../../_base_/methods/cm-cd.py',
    '../../_base_/recipes/digits-16x16.py'
]

model = _base_.consistency_distillation.copy()
model.merge(dict(
    training=dict(
        teacher=dict(checkpoint='work_dirs/edm_digits/iter_1000.pth'),
        curriculum=dict(scales=dict(scales=18)),
        averages=dict(ema_decays=(0.99, )))))
