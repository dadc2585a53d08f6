# The bundled digits recipe (cm-ct_adm-unet_1xb64-1k_digits-16x16.py)
# continued from the bundled model (checkpoints/cm-ct_digits-16x16.pt,
# online network, EMA and target start from it) at the curriculum values
# it ended with (N = 12, adaptive mu at N = 12: 0.95^(2 / 11)), its batch,
# learning rate and distance unchanged: the baseline that stage 2 of a
# truncated consistency model (tcm_adm-unet_1xb64-1k_digits-16x16.py) is
# compared with at the same added budget (README, the digits study).
_base_ = './cm-ct_adm-unet_1xb64-1k_digits-16x16.py'

model = dict(
    training=dict(
        init_from='checkpoints/cm-ct_digits-16x16.pt',
        curriculum=dict(
            scales=dict(_delete_=True, type='FixedScales', scales=12),
            target_ema=dict(
                _delete_=True, type='FixedTargetEMA',
                decay=0.95**(2 / 11)))))
