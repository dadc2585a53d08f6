"""Tile uint8 NHWC images into one picture."""
import math
import os
import os.path as osp
from typing import Optional

import numpy as np
from PIL import Image


def make_image_grid(images: np.ndarray, num_columns: Optional[int] = None,
                    padding: int = 2, zoom: int = 1) -> np.ndarray:
    """Tile ``(N, H, W, C)`` uint8 images row-major with ``padding`` pixels.

    ``num_columns`` defaults to ``ceil(sqrt(N))``; unused cells stay black.
    ``zoom`` enlarges every image that many times by nearest neighbour, so
    that the pixels of small images (16x16 digits) stay visible as pixels.
    """
    if images.ndim != 4 or images.dtype != np.uint8:
        raise ValueError('expected uint8 images of shape (N, H, W, C), got '
                         f'{images.dtype} {images.shape}')
    if zoom < 1:
        raise ValueError(f'zoom must be a positive integer, got {zoom}')
    images = images.repeat(zoom, axis=1).repeat(zoom, axis=2)
    num, height, width, channels = images.shape
    columns = num_columns or math.ceil(math.sqrt(num))
    rows = math.ceil(num / columns)
    grid = np.zeros((rows * (height + padding) + padding,
                     columns * (width + padding) + padding, channels),
                    dtype=np.uint8)
    for index, image in enumerate(images):
        top = padding + (index // columns) * (height + padding)
        left = padding + (index % columns) * (width + padding)
        grid[top:top + height, left:left + width] = image
    return grid


def save_image(image: np.ndarray, path: str) -> None:
    """Write one uint8 ``(H, W, C)`` image (C = 1 or 3) to ``path``."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    Image.fromarray(image.squeeze(-1) if image.shape[-1] == 1 else image
                    ).save(path)


def save_image_grid(images: np.ndarray, path: str, **kwargs) -> np.ndarray:
    """Write :func:`make_image_grid` of ``images`` to ``path`` (PNG, JPEG)."""
    grid = make_image_grid(images, **kwargs)
    save_image(grid, path)
    return grid
