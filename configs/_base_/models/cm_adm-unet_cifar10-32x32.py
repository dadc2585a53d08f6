# An unconditional ADM UNet for 32x32 images (68M parameters), in place of
# the NCSN++ network (56M) of the improved-CT paper, which this project does
# not implement: the ImageNet-64 model base with another network.
_base_ = './cm_adm-unet_imagenet-64x64.py'

model = dict(
    network=dict(
        image_size=32,
        model_channels=128,
        num_res_blocks=4,
        attention_resolutions=(16, ),
        channel_mult=(1, 2, 2, 2),
        dropout=0.3,
        num_classes=None))
