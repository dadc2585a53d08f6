# Sampling with the official edm_bedroom256_ema.pt checkpoint.
_base_ = [
    './cd-lpips_adm-unet_2step_lsun-bedroom-256x256.py',
    '../_base_/methods/edm.py'
]

# EDM teacher: EDM scalings, 40-step Heun sampler as in the official script
# (_base_/methods/edm.py), with the model base's noise generator (one per
# sample, as the official LSUN sampling commands).
model = _base_.edm_sampling.copy()
model.merge(
    dict(sampling_cfg=dict(generator=_base_.model.sampling_cfg.generator)))
# a new sampling_cfg: Heun takes no two-step indices
model.sampling_cfg._delete_ = True
