import pytest
import torch
import torch.nn.functional as F
from torch import nn

from mmcm.models.unets import (MLPMixer, WinogradConv2d, use_winograd,
                               winograd_kernel_bytes)
from mmcm.models.unets import winograd as winograd_module
from mmcm.models.unets.winograd import (tile_size, transform_kernel,
                                        winograd_conv3x3)
from .test_acceleration import inputs, tiny_unet


def conv_case(channels=8, out_channels=6, height=7, width=10, seed=0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(2, channels, height, width, generator=gen)
    weight = torch.randn(out_channels, channels, 3, 3, generator=gen)
    bias = torch.randn(out_channels, generator=gen)
    return x, weight / (3 * channels**0.5), bias


@pytest.mark.parametrize('m,tolerance', [(2, 1e-6), (4, 1e-5)])
@pytest.mark.parametrize('with_bias', [True, False])
def test_winograd_matches_the_direct_convolution(m, tolerance, with_bias):
    # 7x10 is no multiple of either tile: the borders are cropped tiles
    x, weight, bias = conv_case()
    bias = bias if with_bias else None
    reference = F.conv2d(x, weight, bias, padding=1)
    out = winograd_conv3x3(x, transform_kernel(weight, m), m, bias)
    assert out.shape == reference.shape
    assert out.is_contiguous(memory_format=torch.channels_last)
    error = (out - reference).abs().max() / reference.abs().max()
    assert error < tolerance


def test_bands_of_tile_rows_give_the_same_result(monkeypatch):
    x, weight, bias = conv_case(height=17, width=9)
    kernel = transform_kernel(weight, 4)
    whole = winograd_conv3x3(x, kernel, 4, bias)
    monkeypatch.setattr(winograd_module, 'BAND_ELEMENTS', 1)  # row by row
    banded = winograd_conv3x3(x, kernel, 4, bias)
    torch.testing.assert_close(banded, whole, atol=2e-5, rtol=0)
    reference = F.conv2d(x, weight, bias, padding=1)
    torch.testing.assert_close(banded, reference, atol=5e-5, rtol=0)


def test_tile_size_follows_the_map():
    assert tile_size(64, 64) == tile_size(16, 32) == 4
    assert tile_size(8, 8) == tile_size(64, 15) == 2


@torch.no_grad()
def test_conv_twin_shares_parameters_and_follows_weight_changes():
    conv = nn.Conv2d(8, 6, 3, padding=1)
    twin = WinogradConv2d.from_conv(conv)
    assert twin.weight is conv.weight and twin.bias is conv.bias
    x = conv_case()[0]
    torch.testing.assert_close(twin(x), conv(x), atol=1e-5, rtol=0)
    assert winograd_kernel_bytes(nn.Sequential(twin)) == 16 * 8 * 6 * 4
    conv.weight.mul_(-2)  # in place: the cached kernel is stale
    torch.testing.assert_close(twin(x), conv(x), atol=1e-5, rtol=0)
    conv.load_state_dict({'weight': torch.ones_like(conv.weight),
                          'bias': conv.bias})
    torch.testing.assert_close(twin(x), conv(x), atol=1e-5, rtol=0)


def test_gradients_and_other_dtypes_take_the_direct_path():
    conv = nn.Conv2d(8, 6, 3, padding=1)
    twin = WinogradConv2d.from_conv(conv)
    x = conv_case()[0]
    assert torch.equal(twin(x), conv(x))  # weight needs a gradient
    twin(x).sum().backward()
    assert conv.weight.grad is not None
    with torch.no_grad():
        assert not torch.equal(twin(x), conv(x))  # Winograd rounding
        assert torch.equal(twin.double()(x.double()), conv(x.double()))


@torch.no_grad()
def test_unet_with_winograd_keeps_outputs_and_keys():
    unet = tiny_unet()
    x, t, y = inputs(unet)
    reference = unet(x, t, y)
    keys = list(unet.state_dict())
    eligible = [m for m in unet.modules()
                if isinstance(m, nn.Conv2d) and m.kernel_size == (3, 3)
                and m.stride == (1, 1)]
    unet.accelerate(winograd=True)
    swapped = [m for m in unet.modules() if isinstance(m, WinogradConv2d)]
    assert len(swapped) == len(eligible) > 0
    assert list(unet.state_dict()) == keys
    out = unet(x, t, y)
    assert not torch.equal(out, reference)  # really a different algorithm
    torch.testing.assert_close(out, reference, atol=1e-4, rtol=0)
    weights = sum(m.weight.numel() * 4 for m in swapped)
    assert weights < winograd_kernel_bytes(unet) <= 4 * weights


def test_winograd_refuses_autocast_and_compile():
    unet = tiny_unet()
    with pytest.raises(ValueError, match='does not combine'):
        unet.accelerate(winograd=True, autocast='bf16')
    with pytest.raises(ValueError, match='does not combine'):
        unet.accelerate(winograd=True, compile=True)
    assert use_winograd(MLPMixer(image_size=8, patch_size=2, hidden_dim=16,
                                 num_blocks=1)) == 0
