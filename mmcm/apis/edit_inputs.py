"""Read and check the images and masks given to the editing APIs."""
import os.path as osp
from typing import List, Optional, Sequence, Union

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from mmcm.utils.functional import from_pixels

NAMED_MASKS = ('center', 'left', 'right', 'top', 'bottom')

ImageInput = Union[np.ndarray, torch.Tensor, Sequence[np.ndarray]]


def load_image(path: str) -> np.ndarray:
    """An image file as uint8: ``(H, W)`` if grayscale, else ``(H, W, 3)``.

    Grayscale files (modes ``L``, ``I;16``, ``1``) stay one-channel so that
    colorization can tell them apart; alpha is dropped.
    """
    with Image.open(path) as image:
        if image.mode in ('L', 'LA', '1', 'I', 'I;16'):
            return np.asarray(image.convert('L'))
        return np.asarray(image.convert('RGB'))


def load_mask(source: str, image_size: int) -> np.ndarray:
    """A ``(H, W)`` bool mask, ``True`` where pixels are generated.

    ``source`` is one of :data:`NAMED_MASKS` or an image file whose bright
    pixels (above 127 in grayscale) mark the region to generate.
    """
    if source in NAMED_MASKS:
        return named_mask(source, image_size)
    if not osp.isfile(source):
        raise ValueError(f'unknown mask {source!r}: not a file, nor one of '
                         f'{", ".join(NAMED_MASKS)}')
    with Image.open(source) as image:
        return np.asarray(image.convert('L')) > 127


def named_mask(name: str, image_size: int) -> np.ndarray:
    """A centred square of half the side, or one half of the image."""
    mask = np.zeros((image_size, image_size), dtype=bool)
    half, quarter = image_size // 2, image_size // 4
    regions = dict(
        center=np.s_[quarter:quarter + half, quarter:quarter + half],
        left=np.s_[:, :half], right=np.s_[:, half:],
        top=np.s_[:half, :], bottom=np.s_[half:, :])
    if name not in regions:
        raise ValueError(f'unknown mask {name!r}; use an image file or one '
                         f'of {", ".join(NAMED_MASKS)}')
    mask[regions[name]] = True
    return mask


def images_to_tensor(images: ImageInput) -> torch.Tensor:
    """uint8 images (``(H, W)``, ``(H, W, C)``, a list of them, or
    ``(N, H, W, C)``) or a float ``(N, C, H, W)`` tensor in [-1, 1], as a
    float ``(N, C, H, W)`` tensor in [-1, 1]."""
    if torch.is_tensor(images):
        if images.ndim != 4 or not images.is_floating_point():
            raise ValueError('image tensors must be float (N, C, H, W) in '
                             f'[-1, 1], got {images.dtype} '
                             f'{tuple(images.shape)}')
        return images.float()
    arrays = _as_array_list(images)
    if len({a.shape for a in arrays}) > 1:
        shapes = sorted({a.shape for a in arrays})
        raise ValueError(f'images differ in size or channels: {shapes}')
    batch = torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2)
    return from_pixels(batch)


def _as_array_list(images) -> List[np.ndarray]:
    if isinstance(images, np.ndarray) and images.ndim == 4:
        images = list(images)
    elif isinstance(images, np.ndarray):
        images = [images]
    arrays = [_as_hwc(np.asarray(image)) for image in images]
    if not arrays:
        raise ValueError('no images given')
    return arrays


def _as_hwc(image: np.ndarray) -> np.ndarray:
    if image.dtype != np.uint8:
        raise ValueError(f'image arrays must be uint8, got {image.dtype}')
    if image.ndim == 2:
        image = image[..., None]
    if image.ndim != 3 or image.shape[-1] not in (1, 3):
        raise ValueError('expected a grayscale (H, W) / (H, W, 1) or RGB '
                         f'(H, W, 3) image, got shape {image.shape}')
    return image


def match_channels(images: torch.Tensor, channels: int,
                   task: str) -> torch.Tensor:
    """Give ``images`` the model's channels; only colorization takes gray."""
    have = images.shape[1]
    if have == channels:
        return images
    if task == 'colorize' and have == 1:
        return images.expand(-1, channels, -1, -1).clone()
    kind = 'grayscale' if have == 1 else f'{have}-channel'
    hint = (' (only colorize takes grayscale images)'
            if have == 1 and task != 'colorize' else '')
    raise ValueError(f'{task} needs {channels}-channel images like the '
                     f'model, got {kind} ones{hint}')


def match_size(images: torch.Tensor, image_size: int, task: str,
               factor: Optional[int]) -> torch.Tensor:
    """Check the size; super-resolution also takes ``size / factor`` inputs
    (upsampled by pixel repetition, which keeps every patch mean)."""
    height, width = images.shape[-2:]
    if (height, width) == (image_size, image_size):
        return images
    if task == 'superres' and factor and height == width and \
            height * factor == image_size:
        return F.interpolate(images, scale_factor=factor, mode='nearest')
    small = (f' or {image_size // factor}x{image_size // factor} for '
             f'factor {factor}') if task == 'superres' and factor else ''
    raise ValueError(f'images are {height}x{width} but the model works at '
                     f'{image_size}x{image_size}{small}; resize them first '
                     '(tools/edit.py --resize does an ADM centre crop)')


def infer_factor(images: torch.Tensor, image_size: int,
                 factor: Optional[int]) -> Optional[int]:
    """Super-resolution factor implied by a low-resolution input."""
    height = images.shape[-1]
    if factor is not None or height == image_size:
        return factor
    if height and image_size % height == 0 and height < image_size:
        return image_size // height
    return None


def mask_to_tensor(mask, num_images: int, image_size: int) -> torch.Tensor:
    """A mask for all images (``(H, W)``) or one per image (``(N, H, W)``)
    as a bool ``(N, 1, H, W)`` tensor; ``True`` marks pixels to generate."""
    if mask is None:
        raise ValueError('inpaint needs a mask (True / white where pixels '
                         'are generated)')
    mask = torch.as_tensor(np.asarray(mask) if not torch.is_tensor(mask)
                           else mask)
    if mask.ndim == 2:
        mask = mask.expand(num_images, -1, -1)
    if mask.ndim == 4 and mask.shape[1] == 1:
        mask = mask[:, 0]
    expected = (num_images, image_size, image_size)
    if tuple(mask.shape) != expected:
        raise ValueError(f'the mask has shape {tuple(mask.shape)}; expected '
                         f'({image_size}, {image_size}) or {expected}')
    mask = mask != 0
    if not mask.any():
        raise ValueError('the mask marks no pixel to generate')
    return mask[:, None]
