# The EDM teacher on LSUN Bedroom-256, as the official launch script:
# global batch 256, RAdam lr 1e-4, dropout 0.1, no scale-shift norm,
# lognormal sigmas, Karras weighting (trains until stopped there; 600k
# iterations here).
_base_ = [
    '../../_base_/models/cm_adm-unet_lsun-256x256.py',
    '../../_base_/datasets/lsun-bedroom-256x256.py',
    '../../_base_/schedules/cm_iter-based.py',
    '../../_base_/evaluation/lsun-bedroom-256x256.py',
    '../../_base_/default_runtime.py'
]

model = dict(
    type='EDMTrainer',
    unet=dict(dropout=0.1),
    preconditioner=dict(type='EDMPreconditioner'),
    objective=dict(
        type='EDMObjective', p_mean=-1.2, p_std=1.2, weighting='karras'),
    ema_decays=(0.999, 0.9999, 0.9999432189950708),
    sampling_cfg=dict(sampler='heun', steps=40))

optim_wrapper = dict(optimizer=dict(lr=1e-4))
train_cfg = dict(max_iters=600000)

# Validation: FID of 40-step Heun sampling (the EDM configs' sampler).
val_cfg = dict(
    settings=dict(_delete_=True, heun=dict(sampler='heun', steps=40)))
