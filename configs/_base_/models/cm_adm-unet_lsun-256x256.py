# The consistency model of the official LSUN-256 checkpoints: the
# unconditional ADM UNet (526M parameters) with the fields of
# cm_adm-unet_imagenet-64x64.py outside `unet` (kept equal by
# tests/test_configs.py), but one noise generator per sample, as the
# official LSUN sampling commands.
model = dict(
    type='ConsistencyModel',
    data_preprocessor=dict(type='ConsistencyDataPreprocessor'),
    unet=dict(
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
    preconditioner=dict(type='ConsistencyPreconditioner'),
    sigma_min=0.002,
    sigma_max=80.0,
    sigma_data=0.5,
    rho=7.0,
    sampling_cfg=dict(
        sampler='onestep',
        generator='determ-indiv',
        seed=42,
        clip_denoised=True))
