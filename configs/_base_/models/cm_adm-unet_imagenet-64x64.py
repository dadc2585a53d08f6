# The consistency model of the official ImageNet-64 checkpoints: the
# class-conditional ADM UNet (296M parameters) with the consistency
# parameterisation, the noise levels and the sampling defaults.
#
# The model bases are leaves, so that a recipe on top of one stays within
# three levels of inheritance; the LSUN and digits bases repeat the fields
# outside `unet`, and tests/test_configs.py checks that all three agree.
# The smaller networks (CIFAR-10, tiny) override this one.
model = dict(
    type='ConsistencyModel',
    data_preprocessor=dict(type='ConsistencyDataPreprocessor'),
    unet=dict(
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
        resblock_updown=True),
    preconditioner=dict(type='ConsistencyPreconditioner'),
    sigma_min=0.002,
    sigma_max=80.0,
    sigma_data=0.5,
    rho=7.0,
    sampling_cfg=dict(
        sampler='onestep', generator='determ', seed=42, clip_denoised=True))
