# EDM2-S (Karras et al. 2024; 280M parameters), class-conditional, on the
# consistency model of ./consistency-model.py: the network of EDM2's
# ImageNet-64 checkpoints (edm2-img64-s-*.pkl) and of ECT's ECM-S, whose
# weights load into it strictly (the .pkl files without running their code).
# EDM2's networks read c_noise = log(sigma) / 4 (noise_scale=1; OpenAI's
# ADM networks read 1000 times that). Wider EDM2 sizes: model_channels 256
# (M), 320 (L), 384 (XL).
_base_ = './consistency-model.py'

model = dict(
    network=dict(
        type='EDM2UNet',
        image_size=64,
        in_channels=3,
        num_classes=1000,
        model_channels=192,
        channel_mult=(1, 2, 3, 4),
        num_res_blocks=3,
        attention_resolutions=(16, 8),
        dropout=0.0,
        log_variance=True),
    parameterisation=dict(noise_scale=1.0))
