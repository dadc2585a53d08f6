# Sampling with the official edm_cat256_ema.pt checkpoint: the Bedroom EDM
# sampler (edm_adm-unet_heun-40step_lsun-bedroom-256x256.py) on the Cat
# zoo base.
_base_ = [
    './ct_adm-unet_2step_lsun-cat-256x256.py',
    '../_base_/methods/edm.py'
]

model = _base_.edm_sampling.copy()
model.merge(
    dict(sampling_cfg=dict(generator=_base_.model.sampling_cfg.generator)))
# a new sampling_cfg: Heun takes no two-step indices
model.sampling_cfg._delete_ = True
