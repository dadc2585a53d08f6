# A small class-conditional ADM UNet (about 2M parameters) with the layer
# types of the official ones: fast enough for CPU demos and tests.
_base_ = './consistency_model.py'

model = dict(
    unet=dict(
        image_size=32,
        model_channels=32,
        num_res_blocks=1,
        attention_resolutions=(16, 8),
        channel_mult=(1, 2, 2),
        num_classes=10,
        num_head_channels=32,
        use_scale_shift_norm=True,
        resblock_updown=True))
