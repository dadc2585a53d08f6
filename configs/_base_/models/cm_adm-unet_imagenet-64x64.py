# The class-conditional ImageNet-64 architecture of the official checkpoints
# (296M parameters), wrapped as a consistency model.
model = dict(
    type='ConsistencyModel',
    unet=dict(
        type='ADMUNet',
        image_size=64,
        in_channels=3,
        model_channels=192,
        out_channels=3,
        num_res_blocks=3,
        attention_resolutions=(32, 16, 8),
        dropout=0.0,
        channel_mult=None,  # the official default for 64 px: (1, 2, 3, 4)
        num_classes=1000,
        use_fp16=False,
        num_heads=4,
        num_head_channels=64,
        num_heads_upsample=-1,
        use_scale_shift_norm=True,
        resblock_updown=True),
    preconditioner=dict(type='ConsistencyPreconditioner'),
    sigma_min=0.002,
    sigma_max=80.0,
    sigma_data=0.5,
    rho=7.0,
    sampling_cfg=dict(
        sampler='onestep', generator='determ', seed=42, clip_denoised=True),
    data_preprocessor=dict(type='ConsistencyDataPreprocessor'))
