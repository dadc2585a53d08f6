# The digits EDM teacher (Karras et al. 2022): the diffusion model that
# easy consistency tuning (ect_adm-unet_1xb32-1k_digits-16x16.py) starts
# from, at the budget of the other digits recipes:
#   python tools/train.py \
#       configs/consistency_models/train/edm_adm-unet_1xb32-1k_digits-16x16.py \
#       --work-dir work_dirs/edm_digits
# Lognormal sigmas and Karras weighting as the official EDM teachers; it
# samples with 18 Heun steps.
_base_ = [
    '../../_base_/models/cm_adm-unet_digits-16x16.py',
    '../../_base_/recipes/digits-16x16.py'
]

model = dict(
    type='EDMTrainer',
    preconditioner=dict(type='EDMPreconditioner'),
    objective=dict(
        type='EDMObjective', p_mean=-1.2, p_std=1.2, weighting='karras'),
    ema_decays=(0.99, ),
    sampling_cfg=dict(sampler='heun', steps=18))

val_cfg = dict(settings=dict(_delete_=True, heun=dict(sampler='heun',
                                                       steps=18)))
