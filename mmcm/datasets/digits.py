"""scikit-learn's handwritten digits: small real data for CPU training."""
import functools
from typing import Callable, List, Optional, Sequence, Union

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.dataset import BaseDataset

from mmcm.registry import DATASETS
from mmcm.utils.functional import quantize_uint8

from .transforms import PackConsistencyInputs

DIGITS_MAX_VALUE = 16
SPLITS = ('train', 'val', 'all')
VAL_EVERY = 10


@functools.lru_cache(maxsize=1)
def _load_digits():
    """``(images, targets)`` of ``load_digits``, read once per process."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    return digits.images, digits.target


def digits_to_uint8(images: np.ndarray, image_size: int = 8,
                    interpolation: str = 'nearest') -> np.ndarray:
    """Digits ``(N, 8, 8)`` in ``0..16`` to ``uint8`` ``(N, S, S)``.

    Values are scaled by ``255 / 16`` (so 16 -> 255), resized with
    ``F.interpolate`` (``align_corners=False``, no antialiasing) and
    rounded half to even.
    """
    x = torch.as_tensor(images, dtype=torch.float64)[:, None]
    x = x * (255 / DIGITS_MAX_VALUE)
    if x.shape[-1] != image_size:
        extra = {} if interpolation == 'nearest' else dict(
            align_corners=False)
        x = F.interpolate(x, size=(image_size, image_size),
                          mode=interpolation, **extra)
    return quantize_uint8(x[:, 0].round()).numpy()


def split_indices(num: int, split: str) -> np.ndarray:
    """Deterministic split: every ``VAL_EVERY``-th image (index 0, 10, ...)
    is ``'val'``, the rest ``'train'``; ``'all'`` keeps everything."""
    if split not in SPLITS:
        raise ValueError(f'split must be one of {SPLITS}, got {split!r}')
    indices = np.arange(num)
    if split == 'all':
        return indices
    is_val = indices % VAL_EVERY == 0
    return indices[is_val if split == 'val' else ~is_val]


@DATASETS.register_module()
class DigitsDataset(BaseDataset):
    """The 1,797 8x8 digits of ``sklearn.datasets.load_digits``.

    Ships inside scikit-learn (no download). Items are ``img`` (``uint8``,
    ``(S, S, channels)``) and, with ``class_cond``, ``gt_label`` in 0..9;
    the default pipeline packs them with :class:`PackConsistencyInputs`.
    Flips are not used by default: a mirrored digit is a different glyph.

    Args:
        image_size: Output side ``S``. Nearest-neighbour upsampling (the
            default) keeps the original pixels, so the images are exactly
            the data set's; ``'bilinear'`` gives smooth strokes.
        channels: 1 (gray, the default), or 3 (the gray image repeated, for
            RGB networks).
        class_cond: Add the digit as ``gt_label``.
        split: ``'train'`` (1,617 images), ``'val'`` (every tenth image,
            180) or ``'all'`` (1,797).
        interpolation: ``'bilinear'``, ``'bicubic'`` or ``'nearest'``.
        pipeline: Transforms; ``None`` means ``[PackConsistencyInputs()]``.
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset`.
    """

    METAINFO = dict(classes=tuple(str(digit) for digit in range(10)))

    def __init__(self, image_size: int = 16, channels: int = 1,
                 class_cond: bool = False, split: str = 'train',
                 interpolation: str = 'nearest',
                 pipeline: Optional[Sequence[Union[dict, Callable]]] = None,
                 **kwargs):
        if channels not in (1, 3):
            raise ValueError(f'channels must be 1 or 3, got {channels}')
        if interpolation not in ('bilinear', 'bicubic', 'nearest'):
            raise ValueError(f'unknown interpolation {interpolation!r}')
        split_indices(0, split)  # validate early
        self.image_size = image_size
        self.channels = channels
        self.class_cond = class_cond
        self.split = split
        self.interpolation = interpolation
        if pipeline is None:
            pipeline = [PackConsistencyInputs()]
        super().__init__(pipeline=pipeline, **kwargs)

    def load_data_list(self) -> List[dict]:
        all_images, all_labels = _load_digits()
        keep = split_indices(len(all_images), self.split)
        images = digits_to_uint8(all_images[keep], self.image_size,
                                 self.interpolation)[..., None]
        images = np.repeat(images, self.channels, axis=-1)
        labels = all_labels[keep]
        data_list = []
        for image, label in zip(images, labels):
            info = dict(img=image, img_shape=image.shape[:2])
            if self.class_cond:
                info['gt_label'] = int(label)
            data_list.append(info)
        return data_list


__all__ = ['DigitsDataset', 'digits_to_uint8', 'split_indices']
