# Continuous-time consistency distillation (sCD) on the digits from the
# TrigFlow teacher of trigflow_adm-unet_1xb32-1k_digits-16x16.py (train it
# first; its EMA weights are read from the checkpoint):
#   python tools/train.py \
#       configs/consistency_models/train/trigflow_adm-unet_1xb32-1k_digits-16x16.py \
#       --work-dir work_dirs/trigflow_digits
#   python tools/train.py \
#       configs/consistency_models/train/scm-scd_adm-unet_1xb32-1k_digits-16x16.py
# The student starts from the teacher; dx_t/dt = sigma_d F_teacher.
_base_ = [
    '../../_base_/recipes/scm-sct_adm-unet_digits-16x16.py',
    '../../_base_/recipes/digits-16x16.py'
]

model = dict(
    training=dict(
        teacher=dict(
            checkpoint='work_dirs/trigflow_digits/iter_1000.pth',
            init_student=True)))
