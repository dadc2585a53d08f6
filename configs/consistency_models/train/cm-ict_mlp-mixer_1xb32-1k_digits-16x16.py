# The iCT digits recipe with an MLP-Mixer in place of the UNet, at the same
# budget (1,000 iterations of 32 images):
#   python tools/train.py \
#       configs/consistency_models/train/cm-ict_mlp-mixer_1xb32-1k_digits-16x16.py
#
# 2x2 patches (64 tokens of 128 features), 8 adaLN-conditioned mixer blocks:
# 2.1M parameters (the digits UNet has 1.9M).
_base_ = [
    '../../_base_/recipes/cm-ict_adm-unet_digits-16x16.py',
    '../../_base_/recipes/digits-16x16.py'
]

model = dict(
    network=dict(
        _delete_=True,
        type='MLPMixer',
        image_size=16,
        in_channels=1,
        out_channels=1,
        patch_size=2,
        hidden_dim=128,
        num_blocks=8,
        num_classes=10))
