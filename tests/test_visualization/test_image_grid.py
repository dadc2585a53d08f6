import numpy as np
import pytest
from PIL import Image

from mmcm.visualization import make_image_grid, save_image_grid


def test_grid_layout_places_images_row_major():
    images = np.stack([np.full((2, 2, 3), i + 1, np.uint8) for i in range(5)])
    grid = make_image_grid(images, padding=1)
    assert grid.shape == (2 * 3 + 1, 3 * 3 + 1, 3)
    assert grid[1, 1, 0] == 1 and grid[1, 4, 0] == 2 and grid[4, 1, 0] == 4
    assert grid[4, 7, 0] == 0  # the sixth cell stays empty
    assert grid[0].max() == 0  # padding


def test_save_and_reject_bad_input(tmp_path):
    images = np.zeros((4, 3, 3, 1), np.uint8)
    save_image_grid(images, str(tmp_path / 'g.png'), padding=0)
    assert Image.open(tmp_path / 'g.png').size == (6, 6)
    with pytest.raises(ValueError, match='uint8'):
        make_image_grid(images.astype(np.float32))


def test_zoom_repeats_pixels_by_nearest_neighbour():
    images = np.arange(8, dtype=np.uint8).reshape(2, 2, 2, 1)
    grid = make_image_grid(images, num_columns=2, padding=0, zoom=3)
    assert grid.shape == (6, 12, 1)
    # the first image's top-left pixel fills a 3x3 block
    assert (grid[:3, :3, 0] == 0).all() and (grid[:3, 3:6, 0] == 1).all()
    assert (grid[3:6, 6:9, 0] == 6).all()
    with pytest.raises(ValueError, match='zoom'):
        make_image_grid(images, zoom=0)
