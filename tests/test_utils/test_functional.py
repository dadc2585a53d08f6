"""The shared tensor helpers, against hand-computed values."""
import math

import numpy as np
import pytest
import torch

from mmcm.utils.functional import (append_dims, from_pixels, index_list,
                                   label_kwargs, mean_flat,
                                   pixels_to_uint8_nhwc, quantize_uint8,
                                   rng_state, set_rng_state, to_pixels,
                                   to_uint8_nhwc, trigflow_time)


def test_append_dims_and_mean_flat():
    x = torch.tensor([1.0, 2.0])
    assert append_dims(x, 4).shape == (2, 1, 1, 1)
    with pytest.raises(ValueError, match='more than'):
        append_dims(torch.zeros(2, 3), 1)
    batch = torch.arange(8.0).reshape(2, 2, 2)  # means 1.5 and 5.5
    assert mean_flat(batch).tolist() == [1.5, 5.5]


def test_rng_state_replays_dropout_masks():
    state = rng_state('cpu')
    first = torch.nn.functional.dropout(torch.ones(64), 0.5)
    set_rng_state(state)
    assert torch.equal(torch.nn.functional.dropout(torch.ones(64), 0.5),
                       first)


def test_trigflow_time():
    sigma = torch.tensor([0.0, 0.5, 0.5 * math.sqrt(3)])
    t = trigflow_time(sigma, 0.5)
    torch.testing.assert_close(t, torch.tensor([0.0, math.pi / 4,
                                                math.pi / 3]))


def test_pixels_to_the_model_range():
    pixels = torch.tensor([0, 51, 255], dtype=torch.uint8)
    assert from_pixels(pixels).tolist() == pytest.approx([-1.0, -0.6, 1.0])


def test_pixel_conversions_truncate_or_round():
    images = torch.tensor([-1.0, -0.5, 0.0, 0.999, 1.5]).reshape(1, 5, 1, 1)
    # (x + 1) * 127.5 = 0, 63.75, 127.5, 254.87, 318.75 (clamped to 255)
    assert to_pixels(images).flatten().tolist() == pytest.approx(
        [0.0, 63.75, 127.5, 254.8725, 255.0], abs=1e-4)
    truncated = to_uint8_nhwc(images)
    assert truncated.shape == (1, 1, 1, 5) and truncated.dtype == np.uint8
    assert truncated.flatten().tolist() == [0, 63, 127, 254, 255]
    assert to_uint8_nhwc(images, rounded=True).flatten().tolist() == [
        0, 64, 128, 255, 255]
    pixels = torch.tensor([[-3.0, 12.9, 300.0]]).reshape(1, 3, 1, 1)
    assert quantize_uint8(pixels).flatten().tolist() == [0, 12, 255]
    assert pixels_to_uint8_nhwc(pixels).shape == (1, 1, 1, 3)
    uint8 = torch.tensor([7], dtype=torch.uint8)
    assert quantize_uint8(uint8) is uint8


def test_label_kwargs_and_index_list():
    assert label_kwargs(None) == {}
    labels = torch.tensor([3])
    assert label_kwargs(labels)['y'] is labels
    assert index_list(None) is None
    assert index_list(4) == [4]
    assert index_list((1, 2)) == [1, 2]
    assert index_list(torch.tensor([[5], [6]])) == [5, 6]
