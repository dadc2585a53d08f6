"""LPIPSDistance with a random VGG16 trunk (the real one is not bundled)."""
import copy
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from mmcm.models.losses import LPIPSDistance, build_distance, lpips_loss

IMAGENET_MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
IMAGENET_STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


class _Stop(Exception):
    """Raised by a hook to skip the (slow at 224 px) VGG forward."""


@pytest.fixture(scope='module')
def lpips_random():
    """Standard max-pooling LPIPS (``replace_pooling=False``)."""
    torch.manual_seed(0)
    return build_distance(dict(type='LPIPSDistance', replace_pooling=False,
                               pretrained_backbone=False))


@pytest.fixture
def no_resize(lpips_random, monkeypatch):
    """Run at the input size, to keep the tests fast on CPU."""
    monkeypatch.setattr(lpips_random, 'resize_below', 0)
    return lpips_random


def piq_style_lpips(distance, x, y):
    """The official computation written out: piq's LPIPS of ``(x + 1) / 2``.

    ImageNet standardisation, VGG16 features at relu1_2 ... relu5_3 (layers
    3, 8, 15, 22, 29), channel unit-normalisation, squared differences
    weighted per channel, spatial mean, sum over channels and layers.
    """
    layers = [layer for block in distance.lpips.net.children()
              for layer in block]
    heads = [lin.model[-1].weight for lin in distance.lpips.lins]

    def features(image):
        h, taps = ((image + 1) / 2 - IMAGENET_MEAN) / IMAGENET_STD, []
        for index, layer in enumerate(layers):
            h = layer(h)
            if index in (3, 8, 15, 22, 29):
                taps.append(h / (h.pow(2).sum(1, keepdim=True).sqrt() + 1e-10))
        return taps

    return sum(((a - b)**2 * w).mean((2, 3)).sum(1)
               for a, b, w in zip(features(x), features(y), heads))


def images(*shape, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return torch.rand(*shape, generator=generator) * 2 - 1


def pools(distance):
    return [type(m) for m in distance.modules()
            if isinstance(m, (nn.MaxPool2d, nn.AvgPool2d))]


def test_frozen_and_always_in_eval_mode(lpips_random):
    assert isinstance(lpips_random, LPIPSDistance)
    assert not any(p.requires_grad for p in lpips_random.parameters())
    lpips_random.train()
    assert not any(m.training for m in lpips_random.modules())
    assert pools(lpips_random) == [nn.MaxPool2d] * 4


def test_linear_heads_come_from_the_wheel(lpips_random):
    import lpips
    path = osp.join(osp.dirname(lpips.__file__), 'weights', 'v0.1',
                    'vgg.pth')
    heads = torch.load(path, map_location='cpu', weights_only=True)
    for key, value in heads.items():
        assert torch.equal(lpips_random.lpips.state_dict()[key], value)


def test_zero_for_identical_positive_per_sample(no_resize):
    x, y = images(3, 3, 16, 16, seed=1), images(3, 3, 16, 16, seed=2)
    y[0] = x[0]
    values = no_resize(x, y)
    assert values.shape == (3, )
    assert values[0].item() == pytest.approx(0.0, abs=1e-7)
    assert (values[1:] > 0).all()
    # Per sample: a sample's value does not depend on its batch.
    assert torch.allclose(no_resize(x[2:], y[2:]), values[2:], rtol=1e-4)
    assert torch.allclose(values, piq_style_lpips(no_resize, x, y),
                          rtol=1e-4, atol=1e-7)
    # Dropout of the heads stays off after train().
    no_resize.train()
    assert torch.equal(no_resize(x, y), values)


def test_resizes_small_images_to_224_in_lpips_input_range(lpips_random):
    """Inputs < 256 px are resized bilinearly to 224; the VGG trunk then
    sees ``((x + 1) / 2 - mean) / std`` as in the official piq call."""
    seen = {}

    def scaling_hook(module, args):
        seen['scaling'] = args[0]

    def trunk_hook(module, args):
        seen['trunk'] = args[0]
        raise _Stop

    # lpips calls net.forward() directly: hook the trunk's first block.

    x = images(1, 3, 64, 64, seed=3)
    handles = [
        lpips_random.lpips.scaling_layer.register_forward_pre_hook(
            scaling_hook),
        lpips_random.lpips.net.slice1.register_forward_pre_hook(trunk_hook)
    ]
    try:
        with pytest.raises(_Stop):
            lpips_random(x, x)
    finally:
        for handle in handles:
            handle.remove()
    resized = F.interpolate(x, size=(224, 224), mode='bilinear',
                            align_corners=False)
    assert torch.allclose(seen['scaling'], resized)
    expected = ((resized + 1) / 2 - IMAGENET_MEAN) / IMAGENET_STD
    assert torch.allclose(seen['trunk'], expected, atol=1e-5)


def test_large_images_are_not_resized(lpips_random):
    shapes = []
    handle = lpips_random.lpips.net.slice1.register_forward_pre_hook(
        lambda module, args: shapes.append(args[0].shape) or _raise())
    try:
        with pytest.raises(_Stop):
            lpips_random(images(1, 3, 256, 256), images(1, 3, 256, 256))
    finally:
        handle.remove()
    assert shapes[0][-2:] == (256, 256)


def _raise():
    raise _Stop


def test_gradients_reach_input_not_lpips(no_resize):
    x = images(2, 3, 16, 16, seed=4).requires_grad_()
    no_resize(x, images(2, 3, 16, 16, seed=5)).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert all(p.grad is None for p in no_resize.parameters())


def test_float32_under_autocast(no_resize):
    """Like the official loss, LPIPS runs in float32 whatever the UNet."""
    x, y = images(1, 3, 16, 16, seed=8), images(1, 3, 16, 16, seed=9)
    reference = no_resize(x, y)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        value = no_resize(x.bfloat16(), y.bfloat16())
    assert value.dtype == torch.float32
    assert torch.allclose(
        value, no_resize(x.bfloat16().float(), y.bfloat16().float()))
    assert torch.allclose(value, reference, rtol=0.05)


def test_missing_backbone_names_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv('TORCH_HOME', str(tmp_path))
    expected = osp.join(str(tmp_path), 'hub', 'checkpoints',
                        'vgg16-397923af.pth')
    with pytest.raises(FileNotFoundError) as error:
        build_distance('lpips')
    message = str(error.value)
    assert expected in message and '\n' not in message
    with pytest.raises(FileNotFoundError, match='elsewhere.pth'):
        LPIPSDistance(backbone_path=str(tmp_path / 'elsewhere.pth'))


def test_loads_torchvision_vgg16_file_and_averages(lpips_random, tmp_path,
                                                   monkeypatch):
    """``slice<k>.<i>.*`` of lpips is torchvision's ``features.<i>.*``;
    the default ``replace_pooling=True`` swaps max- for average pooling."""
    trunk = {f'features.{key.split(".", 1)[1]}': value + 1
             for key, value in lpips_random.lpips.net.state_dict().items()}
    path = tmp_path / 'vgg16-397923af.pth'
    torch.save(trunk, path)
    # Reuse the fixture's lpips net: building VGG16 takes seconds on CPU.
    monkeypatch.setattr(lpips_loss, 'build_lpips_vgg',
                        lambda: copy.deepcopy(lpips_random.lpips))
    distance = LPIPSDistance(backbone_path=str(path))
    loaded = distance.lpips.net
    assert torch.equal(getattr(loaded.slice3, '12').weight,
                       trunk['features.12.weight'])
    assert torch.equal(getattr(loaded.slice5, '28').bias,
                       trunk['features.28.bias'])
    assert pools(distance) == [nn.AvgPool2d] * 4
    assert pools(lpips_random) == [nn.MaxPool2d] * 4
    pool = getattr(loaded.slice2, '4')
    assert (pool.kernel_size, pool.stride, pool.padding) == (2, 2, 0)
    x, y = images(2, 3, 16, 16, seed=6), images(2, 3, 16, 16, seed=7)
    monkeypatch.setattr(distance, 'resize_below', 0)
    assert torch.allclose(distance(x, y), piq_style_lpips(distance, x, y),
                          rtol=1e-4, atol=1e-7)
