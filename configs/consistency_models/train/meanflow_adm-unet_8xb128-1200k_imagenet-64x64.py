# MeanFlow (methods/meanflow.py) on class-conditional ImageNet-64 in pixel
# space, with the objective of the paper's ImageNet MF-B/2 run as
# NVlabs/FastGen reproduces it (configs/experiments/DiT/config_mf_b.py):
# global batch 1024 (8 GPUs x 128), 1.2M iterations, Adam lr 1e-4 with
# betas (0.9, 0.95), no warm-up or decay, logit-normal t and r (-0.4, 1.0)
# with the paper's v0 sampler, r != t for 25%, the adaptive weighting with
# p = 1 (c = 1e-3, the paper's), and classifier-free guidance in training
# (Geng et al. 2025, Section 4.2): the class dropped for 10% of the
# samples, the target velocity w v + k u(z, t, t | c) + (1 - w - k)
# u(z, t, t | null) with w = 1, k = 0.5 elsewhere. The paper trains DiT/SiT transformers in the SD VAE's
# latent space of ImageNet-256; this recipe is its objective on the ADM
# UNet of ImageNet-64 in pixels (with a null class), dropout 0, EMA 0.9999:
#   bash tools/dist_train.sh \
#       configs/consistency_models/train/meanflow_adm-unet_8xb128-1200k_imagenet-64x64.py 8 --amp
_base_ = [
    '../../_base_/models/cm_adm-unet_imagenet-64x64.py',
    '../../_base_/methods/meanflow.py',
    '../../_base_/schedules/cm_iter-based.py',
    '../../_base_/evaluation/generation.py',
    '../../_base_/recipes/imagenet-64x64.py'
]

max_iters = 1200000
model = _base_.meanflow.copy()
model.merge(dict(
    network=dict(dropout=0.0, null_class=True),
    training=dict(
        objective=dict(
            time_sampler='v0', p_mean_t=-0.4, p_std_t=1.0, p_mean_r=-0.4,
            p_std_r=1.0, ratio=0.25, norm_p=1.0, guidance_scale=1.0,
            guidance_mixture=0.5, class_dropout=0.1),
        averages=dict(ema_decays=(0.9999, )))))
train_dataloader = dict(batch_size=128)
optim_wrapper = dict(
    optimizer=dict(type='Adam', lr=1e-4, betas=(0.9, 0.95), eps=1e-8))
train_cfg = dict(max_iters=max_iters, val_interval=50000)

val_dataloader = dict(dataset=dict(num_classes=1000))
test_dataloader = val_dataloader
# One step from t = 1 and two jumps along the flow (t = 1, 0.5, 0).
val_cfg = dict(settings=dict(
    _delete_=True, onestep=dict(sampler='onestep'),
    twostep=dict(sampler='meanflow', steps=2)))
