# A small class-conditional ADM UNet (about 2M parameters) with the same
# layer types as the official ones: fast enough for CPU demos and tests.
model = dict(
    type='ConsistencyModel',
    unet=dict(
        type='ADMUNet',
        image_size=32,
        in_channels=3,
        model_channels=32,
        out_channels=3,
        num_res_blocks=1,
        attention_resolutions=(16, 8),
        dropout=0.0,
        channel_mult=(1, 2, 2),
        num_classes=10,
        use_fp16=False,
        num_heads=4,
        num_head_channels=32,
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
