# The digits EDM teacher (Karras et al. 2022): the diffusion model that
# easy consistency tuning (ect_adm-unet_1xb32-1k_digits-16x16.py) starts
# from, at the budget of the other digits recipes:
#   python tools/train.py \
#       configs/consistency_models/train/edm_adm-unet_1xb32-1k_digits-16x16.py \
#       --work-dir work_dirs/edm_digits
# Lognormal sigmas and Karras weighting as the official EDM teachers
# (methods/edm.py); it samples with 18 Heun steps.
_base_ = [
    '../../_base_/models/cm_adm-unet_digits-16x16.py',
    '../../_base_/methods/edm.py',
    '../../_base_/recipes/digits-16x16.py'
]

# methods/edm.py without the official dropout (the digits network's 0.0),
# with one EMA and 18 Heun steps.
model = _base_.edm.copy()
model.merge(dict(
    network=dict(dropout=0.0),
    training=dict(averages=dict(ema_decays=(0.99, ))),
    sampling_cfg=dict(steps=18)))

val_cfg = dict(settings=dict(_delete_=True, heun=dict(sampler='heun',
                                                       steps=18)))
