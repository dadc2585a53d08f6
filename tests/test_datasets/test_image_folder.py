"""ImageFolderDataset built from the _base_ dataset configs."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine import Config
from mmengine.runner import Runner
from PIL import Image

from mmcm.models import ConsistencyDataPreprocessor
from mmcm.registry import DATASETS

from ..conftest import REPO

DATASET_CONFIGS = osp.join(REPO, 'configs', '_base_', 'datasets')
# name -> (class index among sorted prefixes, pixel value)
FILES = {
    'n01440764_1.png': (0, 10),
    'n01440764_2.png': (0, 20),
    'sub/n01443537_5.JPEG': (1, 30),
    'sub/deeper/n02102040_3.gif': (2, 40),
}


def load_config(name, data_root):
    cfg = Config.fromfile(osp.join(DATASET_CONFIGS, name))
    cfg.train_dataloader.dataset.data_root = str(data_root)
    return cfg


def write_png(path, value, size=(12, 8)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((size[1], size[0], 3), value, np.uint8)).save(
        path)


@pytest.fixture
def folder(tmp_path):
    for name, (_, value) in FILES.items():
        write_png(tmp_path / name, value)
    (tmp_path / 'notes.txt').write_text('not an image')
    (tmp_path / 'png').write_text('no extension')
    return tmp_path


def build_dataset(name, data_root, **overrides):
    cfg = load_config(name, data_root).train_dataloader.dataset
    cfg.update(overrides)
    return DATASETS.build(cfg)


def test_lists_images_recursively_and_labels_by_prefix(folder):
    dataset = build_dataset('imagenet-64x64.py', folder)
    assert len(dataset) == len(FILES)
    assert dataset.metainfo['classes'] == ('n01440764', 'n01443537',
                                           'n02102040')
    infos = [dataset.get_data_info(i) for i in range(len(dataset))]
    for info in infos:
        name = osp.relpath(info['img_path'], folder)
        assert info['gt_label'] == FILES[name][0]


def test_items_are_packed_uint8_chw_with_labels(folder):
    dataset = build_dataset('imagenet-64x64.py', folder)
    for i in range(len(dataset)):
        inputs = dataset[i]['inputs']
        name = osp.relpath(dataset.get_data_info(i)['img_path'], folder)
        label, value = FILES[name]
        assert inputs['img'].shape == (3, 64, 64)
        assert inputs['img'].dtype == torch.uint8
        # Uniform images stay uniform (up to JPEG error) through the crop.
        assert (inputs['img'].int() - value).abs().max() <= 2
        assert inputs['labels'].dtype == torch.int64
        assert inputs['labels'].ndim == 0 and inputs['labels'] == label


@pytest.mark.parametrize('name, size', [('lsun-bedroom-256x256.py', 256),
                                        ('lsun-cat-256x256.py', 256)])
def test_lsun_configs_are_unconditional(folder, name, size):
    dataset = build_dataset(name, folder)
    assert 'gt_label' not in dataset.get_data_info(0)
    inputs = dataset[0]['inputs']
    assert set(inputs) == {'img'} and inputs['img'].shape == (3, size, size)


def test_cat_config_inherits_bedroom_with_its_own_folder():
    cfg = Config.fromfile(osp.join(DATASET_CONFIGS, 'lsun-cat-256x256.py'))
    assert cfg.train_dataloader.dataset.data_root == 'data/lsun_cat256'
    assert cfg.train_dataloader.batch_size == 32


def test_serialization_and_lazy_init_give_the_same_items(folder):
    plain = build_dataset('imagenet-64x64.py', folder, serialize_data=False)
    packed = build_dataset('imagenet-64x64.py', folder, serialize_data=True)
    lazy = build_dataset('imagenet-64x64.py', folder, lazy_init=True)
    assert not lazy._fully_initialized
    assert len(lazy) == len(plain) == len(packed)
    for i in range(len(plain)):
        assert plain.get_data_info(i) == packed.get_data_info(i) \
            == lazy.get_data_info(i)


def test_given_classes_fix_the_numbering(folder):
    classes = ('n00000000', 'n01440764', 'n01443537', 'n02102040')
    dataset = build_dataset('imagenet-64x64.py', folder,
                            metainfo=dict(classes=classes))
    labels = sorted(dataset.get_data_info(i)['gt_label']
                    for i in range(len(dataset)))
    assert labels == [1, 1, 2, 3]
    with pytest.raises(ValueError, match='not in'):
        build_dataset('imagenet-64x64.py', folder,
                      metainfo=dict(classes=classes[:2]))


def test_missing_or_empty_folder_is_a_clear_error(tmp_path):
    (tmp_path / 'empty').mkdir()
    (tmp_path / 'empty' / 'readme.txt').write_text('x')
    with pytest.raises(FileNotFoundError, match='no images'):
        build_dataset('imagenet-64x64.py', tmp_path / 'empty')
    with pytest.raises(FileNotFoundError, match='does not exist'):
        build_dataset('imagenet-64x64.py', tmp_path / 'absent')


def test_dataloader_batch_goes_through_the_preprocessor(folder):
    cfg = load_config('imagenet-64x64.py', folder).train_dataloader
    cfg.update(batch_size=3, num_workers=0, persistent_workers=False)
    batch = next(iter(Runner.build_dataloader(cfg, seed=0)))
    assert batch['inputs']['img'].shape == (3, 3, 64, 64)
    out = ConsistencyDataPreprocessor()(batch, training=True)
    img = out['inputs']['img']
    assert img.dtype == torch.float32 and -1 <= img.min() <= img.max() <= 1
    assert out['inputs']['labels'].shape == (3, )
