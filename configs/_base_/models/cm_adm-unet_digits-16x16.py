# A small class-conditional ADM UNet for 16x16 gray digits (1.9M parameters,
# CPU-trainable) on the consistency model of ./consistency-model.py.
_base_ = './consistency-model.py'

model = dict(
    network=dict(
        type='ADMUNet',
        image_size=16,
        in_channels=1,
        out_channels=1,
        model_channels=32,
        num_res_blocks=2,
        attention_resolutions=(8, ),
        dropout=0.0,
        channel_mult=(1, 2, 2),
        num_classes=10,
        use_fp16=False,
        num_heads=4,
        num_head_channels=32,
        num_heads_upsample=-1,
        use_scale_shift_norm=True,
        resblock_updown=True))
