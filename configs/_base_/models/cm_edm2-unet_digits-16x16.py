# A small class-conditional EDM2 network (magnitude-preserving layers) for
# 16x16 gray digits, the size of ./cm_adm-unet_digits-16x16.py's ADM UNet
# (widths 32, 64, 64; two blocks a resolution; attention at 8x8), on the
# consistency model of ./consistency-model.py. It reads c_noise =
# log(sigma) / 4 (noise_scale=1).
_base_ = './consistency-model.py'

model = dict(
    network=dict(
        type='EDM2UNet',
        image_size=16,
        in_channels=1,
        num_classes=10,
        model_channels=32,
        channel_mult=(1, 2, 2),
        num_res_blocks=2,
        attention_resolutions=(8, ),
        channels_per_head=32,
        dropout=0.0,
        log_variance=False),
    parameterisation=dict(noise_scale=1.0))
