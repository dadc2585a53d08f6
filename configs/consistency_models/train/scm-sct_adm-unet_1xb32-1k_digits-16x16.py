# Continuous-time consistency training (sCT, Lu & Song 2024) on the digits,
# at the budget of the other digits recipes (1,000 iterations of 32):
#   python tools/train.py \
#       configs/consistency_models/train/scm-sct_adm-unet_1xb32-1k_digits-16x16.py
#
# TrigFlow parameterisation, the JVP tangent with normalisation (c = 0.1)
# and warm-up (100 iterations here), learned adaptive weighting, lognormal
# time (P_mean -1.0, P_std 1.4), and the digits UNet with PixelNorm on its
# adaptive GroupNorm. No target network: F^- is the online network.
_base_ = [
    '../../_base_/models/cm_adm-unet_digits-16x16.py',
    '../../_base_/datasets/digits-16x16.py',
    '../../_base_/schedules/cm_iter-based.py',
    '../../_base_/evaluation/digits-16x16.py',
    '../../_base_/default_runtime.py'
]

max_iters = 1000
model = dict(
    type='TrigFlowTrainer',
    unet=dict(pixel_norm=True),
    # c_noise(t) = t: with 1000 t, sCD on the digits turned to noise
    preconditioner=dict(type='TrigFlowPreconditioner', time_scale=1.0),
    objective=dict(
        type='SCMObjective',
        p_mean=-1.0,
        p_std=1.4,
        warmup_steps=100,
        tangent_norm_c=0.1),
    adaptive_weighting=True,
    ema_decays=(0.99, ),
    sampling_cfg=dict(sampler='onestep'))

train_dataloader = dict(batch_size=32)
optim_wrapper = dict(optimizer=dict(lr=5e-4))
default_hooks = dict(
    logger=dict(interval=50),
    checkpoint=dict(interval=500, max_keep_ckpts=2))
randomness = dict(seed=0)

train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(
    settings=dict(twostep=dict(sampler='multistep', steps=12, ts=(0, 6, 11))))
