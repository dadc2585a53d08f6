# The consistency model of the official ImageNet-64 checkpoints: the
# class-conditional ADM UNet (296M parameters) on the consistency model of
# ./consistency-model.py. The smaller networks (CIFAR-10, tiny) override
# this one.
_base_ = './consistency-model.py'

model = dict(
    network=dict(
        type='ADMUNet',
        image_size=64,
        in_channels=3,
        out_channels=3,
        model_channels=192,
        num_res_blocks=3,
        attention_resolutions=(32, 16, 8),
        dropout=0.0,
        channel_mult=None,  # the official default: (1, 2, 3, 4) at 64x64
        num_classes=1000,
        use_fp16=False,
        num_heads=4,
        num_head_channels=64,
        num_heads_upsample=-1,
        use_scale_shift_norm=True,
        resblock_updown=True))
