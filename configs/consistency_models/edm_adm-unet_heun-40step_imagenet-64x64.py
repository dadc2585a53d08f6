# Sampling with the official edm_imagenet64_ema.pt checkpoint.
_base_ = './cd-lpips_adm-unet_2step_imagenet-64x64.py'

# EDM teacher: EDM scalings, 40-step Heun sampler as in the official script
# (a new sampling_cfg: Heun takes no two-step indices).
model = dict(
    preconditioner=dict(type='EDMPreconditioner'),
    unet=dict(dropout=0.1),
    sampling_cfg=dict(
        _delete_=True,
        sampler='heun',
        steps=40,
        s_churn=0.0,
        generator='determ',
        seed=42,
        clip_denoised=True))
