# The consistency model of the official LSUN-256 checkpoints: the
# unconditional ADM UNet (526M parameters) on the consistency model of
# ./consistency-model.py, with one noise generator per sample, as the
# official LSUN sampling commands.
_base_ = './consistency-model.py'

model = dict(
    network=dict(
        type='ADMUNet',
        image_size=256,
        in_channels=3,
        out_channels=3,
        model_channels=256,
        num_res_blocks=2,
        attention_resolutions=(32, 16, 8),
        dropout=0.0,
        channel_mult=None,  # the official default: (1, 1, 2, 2, 4, 4)
        num_classes=None,
        use_fp16=False,
        num_heads=4,
        num_head_channels=64,
        num_heads_upsample=-1,
        use_scale_shift_norm=False,
        resblock_updown=True),
    sampling_cfg=dict(generator='determ-indiv'))
