# ImageNet 512x512, class-conditional, in the latent space of the Stable
# Diffusion VAE (stabilityai/sd-vae-ft-mse), as EDM2's and sCM's ImageNet-512
# runs train: the network sees 4x64x64 latents, normalised per channel with
# EDM2's statistics to a standard deviation of 0.5 (sigma_data = 0.5).
#
# The data are the VAE's posterior moments (mean and std, 8x64x64 a
# 512x512 image) in tar shards with .npy members, an index.json and a
# latents.json, encoded once from the ADM-style centre crops:
#   python tools/encode_latents.py data/imagenet data/imagenet512_latents \
#       --vae checkpoints/sd-vae-ft-mse --format folder --class-cond \
#       --resolution 512 --device cuda
# (any source of tools/convert_dataset.py: --format folder, lmdb, shards,
# imagenet-batches). The VAE is a local diffusers folder, never downloaded:
#   huggingface-cli download stabilityai/sd-vae-ft-mse \
#       --local-dir checkpoints/sd-vae-ft-mse
# Each step draws a fresh latent mean + std * eps in the data preprocessor,
# which a recipe gives the latent space (the VAE also decodes the samples
# of validation, tools/test.py and tools/sample.py into 512x512 RGB):
#   model = dict(
#       data_preprocessor=dict(latents={{_base_.latents}}),
#       network=dict(image_size=64, in_channels=4, out_channels=4))
# Other places: --cfg-options train_dataloader.dataset.data_root=... \
#   model.data_preprocessor.latents.path=...
# No flips: a mirrored latent is not the latent of the mirrored image.
dataset_type = 'LatentShardDataset'
data_root = 'data/imagenet512_latents'
vae_path = 'checkpoints/sd-vae-ft-mse'

# The data preprocessor's latent space: EDM2's raw statistics of the
# sd-vae-ft-mse latents of ImageNet (pixels in [0, 1] for the VAE, as EDM2).
latents = dict(
    type='StabilityVAE',
    path=vae_path,
    raw_mean=(5.81, 3.25, 0.12, -2.15),
    raw_std=(4.17, 4.62, 3.71, 3.28),
    final_mean=0.0,
    final_std=0.5,
    pixel_range=(0.0, 1.0),
    batch_size=8)

train_pipeline = [
    dict(type='LoadLatentMoments'),
    dict(type='PackLatentInputs'),
]

# 64 a GPU: EDM2's and sCM's global batch of 2048 on 32 GPUs.
train_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        backend_args=None,
        pipeline=train_pipeline))
