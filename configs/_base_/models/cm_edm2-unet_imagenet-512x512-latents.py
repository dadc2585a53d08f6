# EDM2-S for ImageNet-512 in the SD VAE's latent space (4 x 64 x 64
# latents, datasets/imagenet-512x512-latents.py): the network of EDM2's
# edm2-img512-s-*.pkl checkpoints; as ./cm_edm2-unet_imagenet-64x64.py
# with four channels.
_base_ = './cm_edm2-unet_imagenet-64x64.py'

model = dict(network=dict(in_channels=4))
