# Truncated consistency models, stage 2 (methods/tcm.py), on the digits:
# stage 1 is the bundled model (cm-ct_adm-unet_1xb64-1k_digits-16x16.py at
# ten CPU minutes, checkpoints/cm-ct_digits-16x16.pt), which starts the
# student and its EMA and stays frozen as the stage-1 model below t' = 1.
# It keeps that recipe's network, consistency parameterisation, batch 64
# and pseudo-Huber distance, and halves its learning rate (2e-3 -> 1e-3,
# as the paper's CIFAR-10 stage 2 halves stage 1's). The pair gap starts
# near where the bundled model's grid ended (N = 12: r / t about 0.4-0.6
# above t' = 1; ECT's mapping with q^a = 4 gives 0.2-0.8) and halves twice
# over the run. The TCM terms are the paper's: t' = 1, boundary fraction
# 0.25 with weight 0.1, log t ~ Student-t(0, 0.2, df 0.01) on [1, 80]:
#   python tools/train.py \
#       configs/consistency_models/train/tcm_adm-unet_1xb64-1k_digits-16x16.py
_base_ = [
    '../../_base_/models/cm_adm-unet_digits-16x16.py',
    '../../_base_/methods/tcm.py',
    '../../_base_/recipes/digits-16x16.py'
]

model = _base_.truncated_consistency_training.copy()
model.merge(dict(
    parameterisation=dict(type='ConsistencyParameterisation'),
    training=dict(
        teacher=dict(checkpoint='checkpoints/cm-ct_digits-16x16.pt'),
        objective=dict(distance='pseudo-huber'),
        curriculum=dict(
            scales=dict(start_stage=1, stage_iters=334, ratio_limit=None)),
        averages=dict(ema_decays=(0.99, )))))
train_dataloader = dict(batch_size=64)
optim_wrapper = dict(optimizer=dict(lr=1e-3))
