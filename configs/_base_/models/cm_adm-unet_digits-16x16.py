# A small class-conditional ADM UNet for 16x16 gray digits (1.9M parameters,
# CPU-trainable) with the fields of cm_adm-unet_imagenet-64x64.py outside
# `unet` (kept equal by tests/test_configs.py).
model = dict(
    type='ConsistencyModel',
    data_preprocessor=dict(type='ConsistencyDataPreprocessor'),
    unet=dict(
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
        resblock_updown=True),
    preconditioner=dict(type='ConsistencyPreconditioner'),
    sigma_min=0.002,
    sigma_max=80.0,
    sigma_data=0.5,
    rho=7.0,
    sampling_cfg=dict(
        sampler='onestep', generator='determ', seed=42, clip_denoised=True))
