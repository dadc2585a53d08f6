# The unconditional LSUN-256 architecture of the official checkpoints
# (526M parameters; channel_mult defaults to (1, 1, 2, 2, 4, 4)).
_base_ = './consistency_model.py'

model = dict(
    unet=dict(
        image_size=256,
        model_channels=256,
        num_res_blocks=2,
        attention_resolutions=(32, 16, 8),
        use_scale_shift_norm=False,
        resblock_updown=True),
    # One generator per sample, as the official LSUN sampling commands.
    sampling_cfg=dict(generator='determ-indiv'))
