"""Conversion between uint8 images and the model's [-1, 1] range, or, for
latent-space models, between stored latent moments and normalised
latents."""
from typing import Optional, Sequence, Union

import numpy as np
import torch
from mmengine.model import BaseDataPreprocessor

from mmcm.registry import MODELS
from mmcm.utils.functional import from_pixels, to_pixels

from ..latents import build_latent_space


@MODELS.register_module()
class ConsistencyDataPreprocessor(BaseDataPreprocessor):
    """Map uint8 images to ``x = pixel / 127.5 - 1`` and back.

    ``inputs`` may be a dict with ``'img'`` (a ``(N, C, H, W)`` tensor or a
    list of ``(C, H, W)`` / ``(H, W, C)`` arrays) and ``'labels'``; other keys
    are moved to the device unchanged.

    With ``latents`` the model works in a VAE's latent space instead:
    ``'img'`` holds the posterior moments a latent data set stores
    (``(N, 8, h, w)``: mean, then std), each step draws ``mean + std * eps``
    and normalises it (:class:`~mmcm.models.latents.StabilityVAE`), and
    :meth:`decode_samples` turns generated latents into images for metrics
    and grids. The VAE is kept outside the module tree, so checkpoints do
    not hold its weights.

    Args:
        non_blocking: Copy batches to the device asynchronously.
        latents: ``None`` (pixels), or the config of the latent space, e.g.
            ``dict(type='StabilityVAE', path='checkpoints/sd-vae-ft-mse')``
            (``type`` may be left out).
    """

    def __init__(self, non_blocking: bool = False,
                 latents: Optional[dict] = None):
        super().__init__(non_blocking=non_blocking)
        self.latents = (None if latents is None else
                        build_latent_space(latents))

    @staticmethod
    def normalize(images: Union[torch.Tensor, Sequence]) -> torch.Tensor:
        """uint8 pixels (NCHW, or a list of CHW/HWC images) to [-1, 1]."""
        if not torch.is_tensor(images):
            images = torch.stack([_to_chw(torch.as_tensor(np.asarray(i)))
                                  for i in images])
        return from_pixels(images)

    @staticmethod
    def destruct(images: torch.Tensor) -> torch.Tensor:
        """[-1, 1] images back to [0, 255] floats (see
        :func:`mmcm.utils.functional.to_pixels`)."""
        return to_pixels(images)

    def forward(self, data: dict, training: bool = False) -> dict:
        data = self.cast_data(data)
        inputs = dict(data.get('inputs', {}) or {})
        if 'img' in inputs and self.latents is not None:
            inputs['img'] = self.draw_latents(inputs['img'])
        elif 'img' in inputs:
            inputs['img'] = self.normalize(inputs['img']).to(self.device)
        return dict(inputs=inputs, data_samples=data.get('data_samples'))

    # Latent-space models (``latents``) only.

    def draw_latents(self, moments: Union[torch.Tensor, Sequence],
                     generator: Optional[torch.Generator] = None
                     ) -> torch.Tensor:
        """Normalised latents drawn from stored moments ``(N, 2C, h, w)``
        (or a list of ``(2C, h, w)``): ``normalize(mean + std * eps)``."""
        if not torch.is_tensor(moments):
            moments = torch.stack([torch.as_tensor(np.asarray(m))
                                   for m in moments])
        moments = moments.to(self.device).float()
        expected = 2 * self.latents.latent_channels
        if moments.ndim != 4 or moments.shape[1] != expected:
            raise ValueError(f'a latent data set gives {expected}-channel '
                             'moments (mean and std), got shape '
                             f'{tuple(moments.shape)}')
        return self.latents.normalize(
            self.latents.sample_latents(moments, generator))

    def decode_samples(self, samples: torch.Tensor) -> torch.Tensor:
        """Generated samples as images in [-1, 1]: decoded by the VAE for
        a latent-space model, unchanged otherwise."""
        if self.latents is None:
            return samples
        return self.latents.decode(samples)


def _to_chw(image: torch.Tensor) -> torch.Tensor:
    if image.ndim != 3:
        raise ValueError('expected a 3-D image, got shape '
                         f'{tuple(image.shape)}')
    return image if image.shape[0] in (1, 3) else image.permute(2, 0, 1)


__all__ = ['ConsistencyDataPreprocessor']
