# Sampling with the official edm_cat256_ema.pt checkpoint: the Bedroom EDM
# sampler (edm_adm-unet_heun-40step_lsun-bedroom-256x256.py) on the Cat
# zoo base.
_base_ = './ct_adm-unet_2step_lsun-cat-256x256.py'

model = dict(
    preconditioner=dict(type='EDMPreconditioner'),
    unet=dict(dropout=0.1),
    sampling_cfg=dict(
        _delete_=True,
        sampler='heun',
        steps=40,
        s_churn=0.0,
        generator='determ-indiv',
        seed=42,
        clip_denoised=True))
