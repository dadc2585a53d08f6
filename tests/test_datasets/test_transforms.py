"""ADM crops, flips, loading and packing against hand-computed results."""
import random

import numpy as np
import pytest
import torch
from mmengine.dataset import default_collate
from mmengine.runner import set_random_seed
from PIL import Image

from mmcm.registry import TRANSFORMS

RED, GREEN, BLUE = (255, 0, 0), (0, 255, 0), (0, 0, 255)


def build(cfg):
    return TRANSFORMS.build(cfg)


def marked_image():
    """60 high, 100 wide, blue; red columns 48-51 (the centre), green 20-21
    (just inside the crop below) and 18-19 (just outside)."""
    img = np.zeros((60, 100, 3), np.uint8)
    img[:] = BLUE
    img[:, 48:52] = RED
    img[:, 20:22] = GREEN
    img[:, 18:20] = GREEN
    return img


def test_center_crop_halves_then_takes_the_centre():
    # Short side 60 >= 2 * 30: BOX-halve to 50x30 (exact on 2-wide stripes),
    # the BICUBIC step is then the identity, and the crop keeps halved
    # columns 10..39, i.e. original columns 20..79.
    out = build(dict(type='CenterCropADM', image_size=30))(
        dict(img=marked_image()))['img']
    assert out.shape == (30, 30, 3) and out.dtype == np.uint8
    assert (out[:, 14:16] == RED).all()
    assert (out[:, 0] == GREEN).all()
    assert (out[:, 1:14] == BLUE).all() and (out[:, 16:] == BLUE).all()


@pytest.mark.parametrize('height, width, size', [(30, 45, 16), (200, 300, 64),
                                                 (64, 64, 64), (50, 20, 8)])
def test_center_crop_sizes(height, width, size):
    results = build(dict(type='CenterCropADM', image_size=size))(
        dict(img=np.full((height, width, 3), 7, np.uint8)))
    assert results['img'].shape == (size, size, 3)
    assert results['img_shape'] == (size, size)
    assert (results['img'] == 7).all()


def test_center_crop_of_exact_size_is_identity_and_keeps_gray():
    img = np.random.default_rng(0).integers(0, 256, (16, 16), np.uint8)
    crop = build(dict(type='CenterCropADM', image_size=16))
    assert np.array_equal(crop(dict(img=img))['img'], img)
    assert crop(dict(img=img[..., None]))['img'].shape == (16, 16, 1)


def test_random_crop_size_range_and_output():
    crop = build(dict(type='RandomCropADM', image_size=64))
    assert crop.short_side_range() == (64, 80)
    random.seed(0)
    for _ in range(5):
        out = crop(dict(img=np.zeros((120, 90, 3), np.uint8)))['img']
        assert out.shape == (64, 64, 3)
    whole = np.arange(16 * 16 * 3, dtype=np.uint8).reshape(16, 16, 3)
    full = build(dict(type='RandomCropADM', image_size=16, min_crop_frac=1))
    assert np.array_equal(full(dict(img=whole))['img'], whole)


def test_flip_extremes_mirror_the_image():
    img = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    always = build(dict(type='RandomHorizontalFlip', prob=1.0))
    never = build(dict(type='RandomHorizontalFlip', prob=0.0))
    flipped = always(dict(img=img.copy()))
    assert flipped['flip'] and np.array_equal(flipped['img'], img[:, ::-1])
    assert flipped['img'].flags['C_CONTIGUOUS']
    kept = never(dict(img=img.copy()))
    assert not kept['flip'] and np.array_equal(kept['img'], img)


def flips(seed, count=2000):
    set_random_seed(seed)
    flip = build(dict(type='RandomHorizontalFlip'))
    img = np.zeros((1, 2, 3), np.uint8)
    return [flip(dict(img=img))['flip'] for _ in range(count)]


def test_flip_probability_and_seeded_determinism():
    first = flips(seed=0)
    assert 0.45 < np.mean(first) < 0.55
    assert flips(seed=0) == first
    assert flips(seed=1) != first


def write(path, array, mode=None):
    Image.fromarray(array).convert(mode or 'RGB').save(path)
    return str(path)


@pytest.mark.parametrize('suffix, mode', [('png', 'RGB'), ('png', 'RGBA'),
                                          ('png', 'L'), ('png', 'P'),
                                          ('gif', 'P'), ('jpg', 'RGB')])
def test_load_image_rgb(tmp_path, suffix, mode):
    img = np.zeros((6, 10, 3), np.uint8)
    img[:, 5:] = 255
    path = write(tmp_path / f'x.{suffix}', img, mode)
    results = build(dict(type='LoadImageRGB'))(dict(img_path=path))
    assert results['img'].shape == (6, 10, 3)
    assert results['img'].dtype == np.uint8
    assert results['ori_shape'] == results['img_shape'] == (6, 10)
    assert results['img'][:, :4].max() < 8
    assert results['img'][:, 6:].min() > 247


def test_pack_inputs_chw_uint8_and_int64_label():
    img = np.arange(4 * 5 * 3, dtype=np.uint8).reshape(4, 5, 3)
    pack = build(dict(type='PackConsistencyInputs'))
    item = pack(dict(img=img, gt_label=7))
    assert set(item) == {'inputs'}
    packed = item['inputs']['img']
    assert packed.dtype == torch.uint8 and packed.shape == (3, 4, 5)
    assert packed[2, 1, 3] == img[1, 3, 2]
    label = item['inputs']['labels']
    assert label.dtype == torch.int64 and label.ndim == 0 and label == 7
    assert 'labels' not in pack(dict(img=img))['inputs']
    assert pack(dict(img=img[..., 0]))['inputs']['img'].shape == (1, 4, 5)
    with pytest.raises(TypeError, match='uint8'):
        pack(dict(img=img.astype(np.float32)))


def test_packed_items_collate_into_a_batch():
    pack = build(dict(type='PackConsistencyInputs'))
    items = [pack(dict(img=np.full((4, 4, 3), i, np.uint8), gt_label=i))
             for i in range(3)]
    batch = default_collate(items)
    assert batch['inputs']['img'].shape == (3, 3, 4, 4)
    assert batch['inputs']['img'].dtype == torch.uint8
    assert batch['inputs']['labels'].tolist() == [0, 1, 2]
