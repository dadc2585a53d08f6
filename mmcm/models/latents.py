"""A frozen Stable Diffusion VAE: images to latents and back.

Latent-space models (EDM2's and sCM's ImageNet 512x512) train on the
latents of the ``stabilityai/sd-vae-ft-mse`` autoencoder (diffusers'
``AutoencoderKL``), 4 x 64 x 64 for a 512 x 512 image. The data sets store
each image's posterior moments once (mean and standard deviation, 8
channels: :func:`moments_to_tensor`); every training step draws
``z = mean + std * eps`` and normalises it per channel,

    ``x = (z - raw_mean) / raw_std * final_std + final_mean``,

which with EDM2's statistics (:data:`EDM2_RAW_MEAN`, :data:`EDM2_RAW_STD`,
``final_std = 0.5``) gives data of about ``sigma_data = 0.5``. Generated
latents go back through the inverse and the VAE's decoder.

The VAE sees pixels in ``pixel_range``: ``(0, 1)`` by default, as EDM2's
encoder feeds it (its raw statistics were measured so); ``(-1, 1)`` is the
range Stable Diffusion trained the VAE on. Whatever the range, images enter
and leave this module as mmcm's: ``uint8`` pixels or floats in [-1, 1].
"""
import os.path as osp
from typing import Optional, Sequence, Tuple, Union

import torch

from mmcm.registry import MODELS
from mmcm.utils.functional import DTYPES

#: Per-channel mean and std of the sd-vae-ft-mse latents of ImageNet (EDM2).
EDM2_RAW_MEAN = (5.81, 3.25, 0.12, -2.15)
EDM2_RAW_STD = (4.17, 4.62, 3.71, 3.28)
VAE_WEIGHTS = 'stabilityai/sd-vae-ft-mse'

Moments = Union[torch.Tensor, Tuple[torch.Tensor, torch.Tensor]]


def missing_vae_message(path: str) -> str:
    """What to do when ``path`` holds no diffusers ``AutoencoderKL``."""
    return (f'no VAE weights at {path!r}: it must be a local folder with '
            'the config.json and weights (diffusion_pytorch_model.'
            'safetensors or .bin) of a diffusers AutoencoderKL, e.g. the '
            f'{VAE_WEIGHTS} repository of the Hugging Face hub, fetched '
            'once on a machine with network access by `huggingface-cli '
            f'download {VAE_WEIGHTS} --local-dir {path}` (mmcm never '
            'downloads it)')


def moments_to_tensor(moments: Moments) -> torch.Tensor:
    """``(mean, std)`` (or a stored ``(N, 2C, H, W)`` tensor) as one
    ``(N, 2C, H, W)`` float32 tensor: the means, then the stds."""
    if isinstance(moments, (tuple, list)):
        moments = torch.cat(list(moments), dim=1)
    if moments.ndim != 4 or moments.shape[1] % 2:
        raise ValueError('latent moments must be (N, 2C, H, W): mean and '
                         f'std, got shape {tuple(moments.shape)}')
    return moments.float()


@MODELS.register_module()
class StabilityVAE:
    """A frozen diffusers ``AutoencoderKL`` with EDM2's latent statistics.

    Not an ``nn.Module``: whatever holds it (a data preprocessor) keeps no
    VAE weights in its checkpoints. The autoencoder is read on the first
    :meth:`encode_moments` or :meth:`decode` and runs in eval mode without
    gradients, in batches of ``batch_size``, on the device of its input.
    Normalising needs no weights, so a training run that never decodes can
    leave ``path`` out.

    Args:
        path: Local folder of a diffusers ``AutoencoderKL``
            (``save_pretrained`` layout), e.g. ``stabilityai/sd-vae-ft-mse``
            downloaded once. Checked when built; never downloaded.
        config: Instead of ``path``, the arguments of a randomly
            initialised ``AutoencoderKL`` (small ones in tests).
        raw_mean: Per-channel mean of the raw latents.
        raw_std: Per-channel standard deviation of the raw latents.
        final_mean: Mean of the normalised latents.
        final_std: Standard deviation of the normalised latents.
        pixel_range: The VAE's pixel range, ``(0, 1)`` (EDM2) or
            ``(-1, 1)``.
        batch_size: Images (or latents) per VAE call.
        dtype: ``'fp32'``, ``'fp16'`` or ``'bf16'``: the VAE's precision;
            results are float32.
    """

    def __init__(self, path: Optional[str] = None,
                 config: Optional[dict] = None,
                 raw_mean: Sequence[float] = EDM2_RAW_MEAN,
                 raw_std: Sequence[float] = EDM2_RAW_STD,
                 final_mean: float = 0.0, final_std: float = 0.5,
                 pixel_range: Sequence[float] = (0.0, 1.0),
                 batch_size: int = 8, dtype: str = 'fp32'):
        if path is not None and config is not None:
            raise ValueError('give the VAE a path or a config, not both')
        if path is not None and not osp.isfile(osp.join(path, 'config.json')):
            raise FileNotFoundError(missing_vae_message(path))
        if len(raw_mean) != len(raw_std):
            raise ValueError(f'{len(raw_mean)} raw means but '
                             f'{len(raw_std)} raw stds')
        if dtype not in DTYPES:
            raise ValueError(f'dtype must be one of {sorted(DTYPES)}, got '
                             f'{dtype!r}')
        low, high = (float(v) for v in pixel_range)
        if not low < high:
            raise ValueError(f'pixel_range must rise, got {pixel_range}')
        self.path, self.config = path, None if config is None else dict(
            config)
        self.raw_mean = tuple(float(v) for v in raw_mean)
        self.raw_std = tuple(float(v) for v in raw_std)
        self.final_mean, self.final_std = float(final_mean), float(final_std)
        self.pixel_range = (low, high)
        self.batch_size = int(batch_size)
        self.dtype = DTYPES[dtype]
        self._vae = None

    @property
    def latent_channels(self) -> int:
        """Channels of a latent (4 for the Stable Diffusion VAE)."""
        return len(self.raw_mean)

    def autoencoder(self, device: Union[str, torch.device] = 'cpu'):
        """The frozen ``AutoencoderKL`` on ``device`` (read on first use)."""
        if self._vae is None:
            self._vae = self._build().requires_grad_(False).eval()
        return self._vae.to(device=device, dtype=self.dtype)

    def _build(self):
        if self.path is None and self.config is None:
            raise ValueError('this StabilityVAE only normalises: give it '
                             'the path of the VAE weights to encode or '
                             'decode')
        from diffusers import AutoencoderKL
        if self.config is not None:
            return AutoencoderKL(**self.config)
        return AutoencoderKL.from_pretrained(
            self.path, local_files_only=True, low_cpu_mem_usage=False)

    def _scale_bias(self, like: torch.Tensor):
        """``(scale, bias)`` of :meth:`normalize`, as ``(1, C, 1, 1)``."""
        raw_mean, raw_std = (like.new_tensor(v).reshape(1, -1, 1, 1)
                             for v in (self.raw_mean, self.raw_std))
        if like.shape[1] != raw_mean.shape[1]:
            raise ValueError(f'expected {raw_mean.shape[1]}-channel latents, '
                             f'got shape {tuple(like.shape)}')
        scale = self.final_std / raw_std
        return scale, self.final_mean - raw_mean * scale

    def normalize(self, latents: torch.Tensor) -> torch.Tensor:
        """Raw latents to the model's: ``(z - raw_mean) / raw_std *
        final_std + final_mean``."""
        scale, bias = self._scale_bias(latents)
        return latents * scale + bias

    def denormalize(self, latents: torch.Tensor) -> torch.Tensor:
        """The inverse of :meth:`normalize`."""
        scale, bias = self._scale_bias(latents)
        return (latents - bias) / scale

    def sample_latents(self, moments: Moments,
                       generator: Optional[torch.Generator] = None
                       ) -> torch.Tensor:
        """Raw latents ``mean + std * eps`` drawn from the posterior
        ``moments`` (``(mean, std)`` or the stored 8-channel tensor), with
        ``eps`` from ``generator`` (the global RNG when ``None``)."""
        mean, std = moments_to_tensor(moments).chunk(2, dim=1)
        eps = torch.randn(mean.shape, generator=generator,
                          device=mean.device, dtype=mean.dtype)
        return mean + std * eps

    @torch.no_grad()
    def encode_moments(self, images: torch.Tensor
                       ) -> Tuple[torch.Tensor, torch.Tensor]:
        """``(mean, std)`` of the VAE's posterior for ``images``.

        Args:
            images: ``(N, 3, H, W)`` ``uint8`` pixels or floats in [-1, 1].

        Returns:
            Two float32 ``(N, C, H / 8, W / 8)`` tensors (the factor is the
            VAE's).
        """
        unit = (images.float() / 255 if images.dtype == torch.uint8 else
                (images.float() + 1) / 2)
        low, high = self.pixel_range
        vae = self.autoencoder(images.device)
        means, stds = [], []
        for batch in (unit * (high - low) + low).split(self.batch_size):
            posterior = vae.encode(batch.to(self.dtype)).latent_dist
            means.append(posterior.mean.float())
            stds.append(posterior.std.float())
        return torch.cat(means), torch.cat(stds)

    @torch.no_grad()
    def encode(self, images: torch.Tensor,
               generator: Optional[torch.Generator] = None) -> torch.Tensor:
        """Normalised latents of ``images`` (one posterior draw each)."""
        return self.normalize(self.sample_latents(
            self.encode_moments(images), generator))

    @torch.no_grad()
    def decode(self, latents: torch.Tensor) -> torch.Tensor:
        """Images in [-1, 1] (float32, clamped) of normalised ``latents``
        (the model's space, ``(N, C, h, w)``)."""
        raw = self.denormalize(latents.float())
        vae = self.autoencoder(latents.device)
        low, high = self.pixel_range
        images = [vae.decode(batch.to(self.dtype)).sample.float()
                  for batch in raw.split(self.batch_size)]
        unit = (torch.cat(images) - low) / (high - low)
        return (unit * 2 - 1).clamp(-1, 1)

    def __repr__(self) -> str:
        source = (f'path={self.path!r}' if self.config is None else
                  'config=...')
        return (f'{type(self).__name__}({source}, raw_mean={self.raw_mean}, '
                f'raw_std={self.raw_std}, final_mean={self.final_mean}, '
                f'final_std={self.final_std}, '
                f'pixel_range={self.pixel_range})')


def build_latent_space(cfg: Union[dict, StabilityVAE]) -> StabilityVAE:
    """A :class:`StabilityVAE` (or another registered latent space) from a
    config (type defaults to ``'StabilityVAE'``) or as given."""
    if not isinstance(cfg, dict):
        return cfg
    return MODELS.build(dict(dict(type='StabilityVAE'), **cfg))


__all__ = ['EDM2_RAW_MEAN', 'EDM2_RAW_STD', 'StabilityVAE',
           'build_latent_space', 'missing_vae_message', 'moments_to_tensor']
