"""Conversion between uint8 images and the model's [-1, 1] range."""
from typing import Sequence, Union

import numpy as np
import torch
from mmengine.model import BaseDataPreprocessor

from mmcm.registry import MODELS
from mmcm.utils.functional import from_pixels, to_pixels


@MODELS.register_module()
class ConsistencyDataPreprocessor(BaseDataPreprocessor):
    """Map uint8 images to ``x = pixel / 127.5 - 1`` and back.

    ``inputs`` may be a dict with ``'img'`` (a ``(N, C, H, W)`` tensor or a
    list of ``(C, H, W)`` / ``(H, W, C)`` arrays) and ``'labels'``; other keys
    are moved to the device unchanged.
    """

    def __init__(self, non_blocking: bool = False):
        super().__init__(non_blocking=non_blocking)

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
        if 'img' in inputs:
            inputs['img'] = self.normalize(inputs['img']).to(self.device)
        return dict(inputs=inputs, data_samples=data.get('data_samples'))


def _to_chw(image: torch.Tensor) -> torch.Tensor:
    if image.ndim != 3:
        raise ValueError('expected a 3-D image, got shape '
                         f'{tuple(image.shape)}')
    return image if image.shape[0] in (1, 3) else image.permute(2, 0, 1)


__all__ = ['ConsistencyDataPreprocessor']
