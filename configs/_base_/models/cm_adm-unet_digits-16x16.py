# A small class-conditional ADM UNet for 16x16 digits (CPU-trainable).
_base_ = './consistency_model.py'

model = dict(
    unet=dict(
        image_size=16,
        model_channels=32,
        num_res_blocks=2,
        attention_resolutions=(8, ),
        channel_mult=(1, 2, 2),
        num_classes=10,
        num_head_channels=32,
        use_scale_shift_norm=True,
        resblock_updown=True))
