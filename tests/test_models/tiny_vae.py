"""A tiny random diffusers ``AutoencoderKL`` saved as a local folder: the
stand-in of the Stable Diffusion VAE in the latent-space tests."""
import torch

#: 2 blocks of 8 channels: 16x16 RGB images <-> 4x8x8 latents.
TINY_VAE = dict(
    in_channels=3,
    out_channels=3,
    down_block_types=('DownEncoderBlock2D', 'DownEncoderBlock2D'),
    up_block_types=('UpDecoderBlock2D', 'UpDecoderBlock2D'),
    block_out_channels=(8, 8),
    layers_per_block=1,
    latent_channels=4,
    norm_num_groups=8,
    sample_size=16)


def save_tiny_vae(folder: str, seed: int = 0) -> str:
    """Save a seeded random tiny VAE with ``save_pretrained``; returns
    ``folder``."""
    from diffusers import AutoencoderKL
    torch.manual_seed(seed)
    AutoencoderKL(**TINY_VAE).save_pretrained(folder)
    return folder
