# The class-conditional ImageNet-64 architecture of the official checkpoints
# (296M parameters; channel_mult defaults to (1, 2, 3, 4)).
_base_ = './consistency_model.py'

model = dict(
    unet=dict(
        image_size=64,
        model_channels=192,
        num_res_blocks=3,
        attention_resolutions=(32, 16, 8),
        num_classes=1000,
        use_scale_shift_norm=True,
        resblock_updown=True))
