# The bundled digits recipe (cm-ct_adm-unet_1xb64-1k_digits-16x16.py: CT
# with the pseudo-Huber distance, batch 64, Adam lr 2e-3, N 2 -> 11,
# adaptive mu from 0.95, EMA 0.99) on a small EDM2 network of the ADM
# UNet's widths in place of the ADM UNet: README's digits study compares
# the two networks under one recipe.
_base_ = [
    '../../_base_/models/cm_edm2-unet_digits-16x16.py',
    '../../_base_/methods/cm-ct.py',
    '../../_base_/recipes/digits-16x16.py'
]

model = _base_.consistency_training.copy()
model.merge(dict(
    training=dict(
        objective=dict(distance='pseudo-huber'),
        curriculum=dict(scales=dict(end_scales=11, total_steps=1000)),
        averages=dict(ema_decays=(0.99, )))))
train_dataloader = dict(batch_size=64)
optim_wrapper = dict(optimizer=dict(lr=2e-3))
