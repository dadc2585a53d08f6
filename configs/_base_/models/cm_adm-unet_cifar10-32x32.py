# An unconditional ADM UNet for 32x32 images (68M parameters), in place of
# the NCSN++ network (56M) of the improved-CT paper, which this project does
# not implement.
_base_ = './consistency_model.py'

model = dict(
    unet=dict(
        image_size=32,
        model_channels=128,
        num_res_blocks=4,
        attention_resolutions=(16, ),
        channel_mult=(1, 2, 2, 2),
        dropout=0.3,
        num_head_channels=64,
        use_scale_shift_norm=True,
        resblock_updown=True))
