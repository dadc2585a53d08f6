# The CIFAR-10 iCT recipe with an MLP-Mixer network: 2x2 patches (256
# tokens of 512 features), 12 adaLN-conditioned mixer blocks, dropout 0.3.
#   bash tools/dist_train.sh \
#       configs/consistency_models/train/cm-ict_mlp-mixer_8xb128-400k_cifar10-32x32.py 8
_base_ = [
    '../../_base_/recipes/cm-ict_adm-unet_cifar10-32x32.py',
    '../../_base_/recipes/cifar10-32x32.py'
]

model = dict(
    network=dict(
        _delete_=True,
        type='MLPMixer',
        image_size=32,
        patch_size=2,
        hidden_dim=512,
        num_blocks=12,
        dropout=0.3))
