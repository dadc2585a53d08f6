# A small class-conditional ADM UNet (about 2M parameters) with the layer
# types of the official ones, fast enough for CPU demos and tests: the
# digits network at 32x32 with one residual block per level, in RGB.
_base_ = './cm_adm-unet_digits-16x16.py'

model = dict(
    network=dict(image_size=32, in_channels=3, out_channels=3,
                 num_res_blocks=1, attention_resolutions=(16, 8)))
