"""Data transforms with the semantics of the official ``image_datasets.py``.

Images travel through a pipeline as ``results['img']``: an RGB ``uint8``
array of shape ``(H, W, 3)`` (or ``(H, W)`` / ``(H, W, 1)`` for grayscale).
Resizing goes through PIL so that BOX and BICUBIC filters are PIL's, as in
the official data loader.

Random transforms draw from Python's :mod:`random`, like the official code.
mmengine's runner seeds it (``randomness=dict(seed=...)``) and re-seeds it in
every dataloader worker; plain PyTorch workers re-seed it too (unlike
NumPy's global state, which forked workers would share).
"""
import io
import math
import random
from typing import Optional, Tuple

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine import fileio
from PIL import Image

from mmcm.registry import TRANSFORMS
from mmcm.utils.reprs import plain_repr

from .records import warn_unreadable


def load_rgb(path: str, backend_args: Optional[dict] = None) -> np.ndarray:
    """Read an image file with PIL as an RGB ``uint8`` ``(H, W, 3)`` array.

    Palette, grayscale and RGBA files are converted with PIL's
    ``convert('RGB')`` (alpha is dropped, not composited); a GIF gives its
    first frame.
    """
    return decode_rgb(fileio.get(path, backend_args=backend_args))


def decode_rgb(data: bytes) -> np.ndarray:
    """Encoded image bytes (PNG, JPEG, WebP, GIF ...) as :func:`load_rgb`
    reads a file."""
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert('RGB'))


#: What an undecodable image raises in PIL (truncated or foreign bytes).
UNREADABLE = (OSError, SyntaxError, ValueError, Image.DecompressionBombError)


def resize_short_side_adm(image: Image.Image, short_side: int) -> Image.Image:
    """Resize so that the short side is ``short_side``, as ADM does.

    Halve with a BOX filter while the short side is at least twice the
    target (cheap, alias-free downsampling), then resize with BICUBIC so the
    short side equals ``short_side`` exactly; the long side is rounded.
    """
    while min(image.size) >= 2 * short_side:
        image = image.resize(tuple(side // 2 for side in image.size),
                             resample=Image.BOX)
    scale = short_side / min(image.size)
    return image.resize(tuple(round(side * scale) for side in image.size),
                        resample=Image.BICUBIC)


def crop(array: np.ndarray, top: int, left: int, size: int) -> np.ndarray:
    """The ``size x size`` window of ``array`` at ``(top, left)``."""
    return array[top:top + size, left:left + size]


def _pil(array: np.ndarray) -> Image.Image:
    return Image.fromarray(array[..., 0] if array.ndim == 3
                           and array.shape[2] == 1 else array)


def _restore_channels(array: np.ndarray, like: np.ndarray) -> np.ndarray:
    return array[..., None] if like.ndim == 3 and array.ndim == 2 else array


def center_crop(results: dict, resize, size: int) -> dict:
    """``results`` with its image resized by ``resize(image, size)`` (a PIL
    resize of the short side) and cut to the central ``size`` square
    (offsets ``(side - size) // 2``)."""
    img = results['img']
    resized = np.asarray(resize(_pil(img), size))
    top = (resized.shape[0] - size) // 2
    left = (resized.shape[1] - size) // 2
    return _set_img(results, _restore_channels(
        crop(resized, top, left, size), img))


def _set_img(results: dict, img: np.ndarray) -> dict:
    results['img'] = img
    results['img_shape'] = img.shape[:2]
    return results


@TRANSFORMS.register_module()
class LoadImageRGB(BaseTransform):
    """Read an image with PIL as an RGB ``uint8`` array.

    The image is ``results['img_bytes']`` (encoded bytes that a data set
    read from an LMDB or a tar shard) when present, else the file
    ``results['img_path']``. We use PIL rather than mmcv's
    ``LoadImageFromFile`` (OpenCV): the official loader is PIL's
    ``open(...).convert('RGB')``, which also reads GIFs and WebP and turns
    palette and RGBA files into RGB the same way.

    Adds ``img``, ``img_shape`` and ``ori_shape`` (both ``(H, W)``). An
    image that does not decode is logged and, with ``on_unreadable='skip'``,
    dropped (the transform returns ``None``; the data set draws another
    item and counts the skip); ``'raise'`` re-raises.

    Args:
        backend_args: mmengine file backend arguments (local files when
            ``None``).
        on_unreadable: ``'skip'`` or ``'raise'``.
    """

    def __init__(self, backend_args: Optional[dict] = None,
                 on_unreadable: str = 'skip'):
        super().__init__()
        if on_unreadable not in ('skip', 'raise'):
            raise ValueError("on_unreadable must be 'skip' or 'raise', got "
                             f'{on_unreadable!r}')
        self.backend_args = backend_args
        self.on_unreadable = on_unreadable

    def transform(self, results: dict) -> Optional[dict]:
        where = results.get('img_path') or results.get('img_key')
        try:
            data = results.pop('img_bytes', None)
            img = (decode_rgb(data) if data is not None
                   else load_rgb(results['img_path'], self.backend_args))
        except FileNotFoundError:
            raise  # a missing file is a wrong path, not a damaged image
        except UNREADABLE as error:
            if self.on_unreadable == 'raise':
                raise
            warn_unreadable(where, error)
            return None
        results['ori_shape'] = img.shape[:2]
        return _set_img(results, img)


class ShortSideCenterCrop(BaseTransform):
    """Resize the short side with ``resize`` (a class attribute), then
    cut the central ``image_size`` square (:func:`center_crop`)."""

    resize = None

    def __init__(self, image_size: int):
        super().__init__()
        self.image_size = image_size

    def transform(self, results: dict) -> dict:
        return center_crop(results, type(self).resize, self.image_size)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(image_size={self.image_size})'


@TRANSFORMS.register_module()
class CenterCropADM(ShortSideCenterCrop):
    """ADM's centre crop (``center_crop_arr`` of ``image_datasets.py``).

    BOX-halve while the short side is at least ``2 * image_size``, BICUBIC
    resize the short side to ``image_size``, then take the central square
    (offsets ``(side - image_size) // 2``).

    Args:
        image_size: Side of the square output.
    """

    resize = staticmethod(resize_short_side_adm)


def resize_short_side_box(image: Image.Image,
                          short_side: int) -> Image.Image:
    """One BOX resize so that the short side is ``short_side`` (sides
    rounded), as the official LSUN exporter (``datasets/lsun_bedroom.py``)
    prepares LSUN's images."""
    scale = short_side / min(image.size)
    return image.resize(tuple(round(side * scale) for side in image.size),
                        resample=Image.BOX)


@TRANSFORMS.register_module()
class CenterCropLSUN(ShortSideCenterCrop):
    """The official LSUN preparation: BOX-resize the short side to
    ``image_size``, then cut the central square (offsets
    ``(side - image_size) // 2``). Reading the released LMDB through it
    gives the images the official exporter writes.

    Args:
        image_size: Side of the square output (256 for the models).
    """

    resize = staticmethod(resize_short_side_box)

    def __init__(self, image_size: int = 256):
        super().__init__(image_size)


@TRANSFORMS.register_module()
class RandomCropADM(BaseTransform):
    """ADM's random crop (``random_crop_arr`` of ``image_datasets.py``).

    The short side is resized (as :class:`CenterCropADM`) to an integer
    drawn uniformly from ``[ceil(image_size / max_crop_frac),
    ceil(image_size / min_crop_frac)]``, then a uniformly placed
    ``image_size`` square is cut out.

    Args:
        image_size: Side of the square output.
        min_crop_frac: Smallest crop side relative to the short side.
        max_crop_frac: Largest crop side relative to the short side.
    """

    def __init__(self, image_size: int, min_crop_frac: float = 0.8,
                 max_crop_frac: float = 1.0):
        super().__init__()
        if not 0 < min_crop_frac <= max_crop_frac <= 1:
            raise ValueError('need 0 < min_crop_frac <= max_crop_frac <= 1, '
                             f'got {min_crop_frac}, {max_crop_frac}')
        self.image_size = image_size
        self.min_crop_frac = min_crop_frac
        self.max_crop_frac = max_crop_frac

    def short_side_range(self) -> Tuple[int, int]:
        """Inclusive range of the short side before cropping."""
        return (math.ceil(self.image_size / self.max_crop_frac),
                math.ceil(self.image_size / self.min_crop_frac))

    def transform(self, results: dict) -> dict:
        img = results['img']
        low, high = self.short_side_range()
        short_side = random.randint(low, high)
        resized = np.asarray(resize_short_side_adm(_pil(img), short_side))
        top = random.randint(0, resized.shape[0] - self.image_size)
        left = random.randint(0, resized.shape[1] - self.image_size)
        cropped = crop(resized, top, left, self.image_size)
        return _set_img(results, _restore_channels(cropped, img))

    def __repr__(self) -> str:
        return plain_repr(self, 'image_size', 'min_crop_frac',
                          'max_crop_frac')


@TRANSFORMS.register_module()
class RandomHorizontalFlip(BaseTransform):
    """Mirror the image left-right with probability ``prob``.

    As the official loader: flip when ``random.random() < prob``. Sets
    ``results['flip']``.

    Args:
        prob: Flip probability (official: 0.5 when ``random_flip=True``).
    """

    def __init__(self, prob: float = 0.5):
        super().__init__()
        if not 0 <= prob <= 1:
            raise ValueError(f'prob must be in [0, 1], got {prob}')
        self.prob = prob

    def transform(self, results: dict) -> dict:
        flip = random.random() < self.prob
        if flip:
            results['img'] = np.ascontiguousarray(results['img'][:, ::-1])
        results['flip'] = flip
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(prob={self.prob})'


@TRANSFORMS.register_module()
class PackConsistencyInputs(BaseTransform):
    """Pack an item as ``dict(inputs=dict(img=..., labels=...))``.

    ``img`` becomes a ``uint8`` ``(C, H, W)`` tensor and the label (when
    ``results`` has one) a 0-d ``int64`` tensor, so mmengine's
    ``default_collate`` stacks a list of items into the batch that
    :class:`~mmcm.models.ConsistencyDataPreprocessor` expects.

    Args:
        label_key: Key of the class index in ``results``; items without it
            (or with ``None``) are unconditional.
    """

    def __init__(self, label_key: str = 'gt_label'):
        super().__init__()
        self.label_key = label_key

    def transform(self, results: dict) -> dict:
        inputs = dict(img=to_chw_uint8_tensor(results['img']))
        label = results.get(self.label_key)
        if label is not None:
            inputs['labels'] = torch.as_tensor(label, dtype=torch.int64)
        return dict(inputs=inputs)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(label_key={self.label_key!r})'


def to_chw_uint8_tensor(img: np.ndarray) -> torch.Tensor:
    """An ``(H, W)`` or ``(H, W, C)`` ``uint8`` array as a ``(C, H, W)``
    tensor."""
    img = np.asarray(img)
    if img.dtype != np.uint8:
        raise TypeError(f'expected a uint8 image, got {img.dtype}')
    if img.ndim == 2:
        img = img[..., None]
    if img.ndim != 3:
        raise ValueError(f'expected an (H, W, C) image, got {img.shape}')
    return torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))


__all__ = [
    'LoadImageRGB', 'CenterCropADM', 'CenterCropLSUN', 'RandomCropADM',
    'RandomHorizontalFlip', 'resize_short_side_box',
    'PackConsistencyInputs', 'decode_rgb', 'load_rgb',
    'resize_short_side_adm',
    'to_chw_uint8_tensor'
]
