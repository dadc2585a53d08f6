# A consistency model around an ADM UNet: the parameterisation, noise levels
# and sampling defaults shared by every architecture base beside this file.
model = dict(
    type='ConsistencyModel',
    unet=dict(
        type='ADMUNet',
        in_channels=3,
        out_channels=3,
        dropout=0.0,
        channel_mult=None,  # the official default for the image size
        num_classes=None,
        use_fp16=False,
        num_heads=4,
        num_head_channels=64,
        num_heads_upsample=-1),
    preconditioner=dict(type='ConsistencyPreconditioner'),
    sigma_min=0.002,
    sigma_max=80.0,
    sigma_data=0.5,
    rho=7.0,
    sampling_cfg=dict(
        sampler='onestep', generator='determ', seed=42, clip_denoised=True),
    data_preprocessor=dict(type='ConsistencyDataPreprocessor'))
