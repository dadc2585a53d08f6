# Consistency training with the official CT curriculum (methods/cm-ct.py: N
# growing from 2, adaptive target EMA from mu0 = 0.95) on scikit-learn's
# digits, at settings that learn within minutes on a CPU: batch 64, RAdam
# lr 2e-3, N from 2 to 12 over the run, uniform weighting, and improved CT's
# pseudo-Huber distance (c = 0.00054 sqrt(d)) in place of l2: sharper and
# more accurate samples at the same cost (README, the digits study). The
# bundled digits model is this recipe at ten CPU minutes (2,188 iterations,
# the curriculum scaled with them), its online weights:
#   python tools/recipe_study.py calibrate \
#       configs/consistency_models/train/cm-ct_adm-unet_1xb64-1k_digits-16x16.py \
#       --name ct-b64-huber
#   python tools/recipe_study.py run \
#       configs/consistency_models/train/cm-ct_adm-unet_1xb64-1k_digits-16x16.py \
#       --name ct-b64-huber
# or, with the runner alone:
#   python tools/train.py \
#       configs/consistency_models/train/cm-ct_adm-unet_1xb64-1k_digits-16x16.py \
#       --cfg-options train_cfg.max_iters=2188 \
#       model.training.curriculum.scales.total_steps=2188
_base_ = [
    '../../_base_/models/cm_adm-unet_digits-16x16.py',
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
