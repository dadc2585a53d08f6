"""DigitsDataset: values, resizing, splits, and the digits config."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine import Config
from mmengine.runner import Runner
from sklearn.datasets import load_digits

from mmcm.datasets import DigitsDataset
from mmcm.models import ConsistencyDataPreprocessor

from ..conftest import REPO

DIGITS_CONFIG = osp.join(REPO, 'configs', '_base_', 'datasets',
                         'digits-16x16.py')


def first_image(**kwargs):
    """The 16x16 (or other) image of ``load_digits().images[0]``, HW."""
    dataset = DigitsDataset(split='all', channels=1, **kwargs)
    return dataset[0]['inputs']['img'][0].numpy()


def test_values_scale_16_to_255():
    # load_digits().images[0][0] is [0, 0, 5, 13, 9, 1, 0, 0].
    assert load_digits().images[0][0, 2] == 5
    img = first_image(image_size=8)
    assert img.dtype == np.uint8
    assert img[0, 2] == 80  # round(5 * 255 / 16 = 79.6875)
    expected = np.round(load_digits().images[0] * 255 / 16)
    assert np.array_equal(img, expected)


def test_bilinear_and_nearest_upsampling():
    # Bilinear, align_corners=False: output column 5 samples source column
    # 2.25 -> 0.75 * 5 + 0.25 * 13 = 7 -> 7 * 255 / 16 = 111.5625; row 0
    # samples row -0.25, clamped to row 0.
    assert first_image(image_size=16, interpolation='bilinear')[0, 5] == 112
    # Nearest (the default): every source pixel becomes a 2x2 block.
    nearest = first_image(image_size=16)
    assert nearest[0, 4] == nearest[0, 5] == nearest[1, 5] == 80
    assert nearest[0, 3] == 0 and nearest[0, 6] == 207  # 13 * 255 / 16


def test_full_range_and_channels():
    dataset = DigitsDataset(split='all', image_size=8, channels=3)
    images = np.stack([dataset.get_data_info(i)['img']
                       for i in range(len(dataset))])
    assert images.shape == (1797, 8, 8, 3)
    assert images.min() == 0 and images.max() == 255
    assert (images[..., 0] == images[..., 2]).all()


def test_splits_are_fixed_and_disjoint():
    sizes = {split: len(DigitsDataset(split=split))
             for split in ('train', 'val', 'all')}
    assert sizes == dict(train=1617, val=180, all=1797)
    # 'val' is images 0, 10, 20, ...; 'train' the others.
    all_images = DigitsDataset(split='all', image_size=8,
                               serialize_data=False).data_list
    val = DigitsDataset(split='val', image_size=8, serialize_data=False)
    train = DigitsDataset(split='train', image_size=8, serialize_data=False)
    assert np.array_equal(val.data_list[1]['img'], all_images[10]['img'])
    assert np.array_equal(train.data_list[9]['img'], all_images[11]['img'])
    with pytest.raises(ValueError, match='split'):
        DigitsDataset(split='test')


def test_labels_and_unconditional_items():
    dataset = DigitsDataset(split='all', class_cond=True)
    labels = [dataset.get_data_info(i)['gt_label']
              for i in range(len(dataset))]
    assert labels == load_digits().target.tolist()
    assert set(labels) == set(range(10))
    item = dataset[3]['inputs']
    assert item['img'].shape == (1, 16, 16)
    assert item['labels'].dtype == torch.int64 and item['labels'] == 3
    assert set(DigitsDataset()[0]['inputs']) == {'img'}


def test_config_dataloader_feeds_the_preprocessor():
    cfg = Config.fromfile(DIGITS_CONFIG).train_dataloader
    cfg.batch_size = 8
    loader = Runner.build_dataloader(cfg, seed=0)
    batch = next(iter(loader))
    assert batch['inputs']['img'].dtype == torch.uint8
    out = ConsistencyDataPreprocessor()(batch, training=True)
    img, labels = out['inputs']['img'], out['inputs']['labels']
    assert img.shape == (8, 1, 16, 16) and img.dtype == torch.float32
    assert -1 <= img.min() < img.max() <= 1
    assert labels.shape == (8, ) and labels.dtype == torch.int64
    assert 0 <= labels.min() and labels.max() <= 9
    again = next(iter(Runner.build_dataloader(cfg, seed=0)))
    assert torch.equal(again['inputs']['labels'], batch['inputs']['labels'])
