import pytest
import torch
import torch.nn.functional as F

from mmcm.models.losses import L1Distance, L2Distance, build_distance
from mmcm.registry import MODELS

# Two samples of 1x2x2 images and an all-zero reference.
X = torch.tensor([[[[1.0, -1.0], [0.0, 0.5]]], [[[0.2, 0.2], [0.2, 0.2]]]])
ZEROS = torch.zeros_like(X)


def checkerboard(size: int) -> torch.Tensor:
    rows = torch.arange(size)
    return ((rows[:, None] + rows[None, :]) % 2 * 2 - 1).float()


def test_l1_hand_values():
    # (1 + 1 + 0 + 0.5) / 4 and 0.2
    distance = build_distance('l1')
    assert isinstance(distance, L1Distance)
    assert torch.allclose(distance(X, ZEROS), torch.tensor([0.625, 0.2]))


def test_l2_hand_values():
    # (1 + 1 + 0 + 0.25) / 4 and 0.04: the mean, not the norm
    distance = build_distance('l2')
    assert torch.allclose(distance(X, ZEROS), torch.tensor([0.5625, 0.04]))
    assert torch.allclose(distance(ZEROS, X), distance(X, ZEROS))


def test_l2_32_averages_checkerboards_away():
    """A 2x bilinear downsample averages 2x2 blocks: +-1 squares vanish."""
    board = checkerboard(64).expand(2, 3, 64, 64)
    zeros = torch.zeros_like(board)
    assert torch.allclose(build_distance('l2')(board, zeros), torch.ones(2))
    assert torch.allclose(build_distance('l2-32')(board, zeros),
                          torch.zeros(2))


def test_l2_32_is_l2_of_resized_images():
    torch.manual_seed(0)
    x, y = torch.rand(2, 2, 3, 64, 64) * 2 - 1
    distance = build_distance('l2-32')
    assert distance.resize_to == 32
    # 64 -> 32 bilinear without align_corners is a 2x2 average pooling.
    expected = ((F.avg_pool2d(x, 2) - F.avg_pool2d(y, 2))**2).mean((1, 2, 3))
    assert torch.allclose(distance(x, y), expected, atol=1e-6)
    assert not torch.allclose(distance(x, y), L2Distance()(x, y))


def test_build_from_config_and_module():
    distance = build_distance(dict(type='L2Distance', resize_to=8))
    assert isinstance(distance, L2Distance) and distance.resize_to == 8
    assert build_distance(distance) is distance
    assert isinstance(MODELS.build(dict(type='L1Distance')), L1Distance)


def test_unknown_name_and_shape_mismatch():
    with pytest.raises(ValueError, match='l2-32'):
        build_distance('l3')
    with pytest.raises(ValueError, match='one shape'):
        L1Distance()(X, ZEROS[:1])
