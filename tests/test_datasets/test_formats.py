"""LSUN LMDB, downsampled-ImageNet batches and tar shards, read from small
files made here, and converted between each other."""
import io
import json
import os
import os.path as osp
import pickle
import tarfile

import lmdb
import numpy as np
import pytest
import torch
from mmengine import Config
from PIL import Image

from mmcm.datasets import (DownsampledImageNetDataset, ImageFolderDataset,
                           LSUNLMDBDataset, TarShardDataset)
from mmcm.datasets.imagenet_batches import row_to_image
from mmcm.registry import DATASETS

from ..conftest import REPO

DATASET_CONFIGS = osp.join(REPO, 'configs', '_base_', 'datasets')


def png_bytes(array, fmt='PNG'):
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, fmt)
    return buffer.getvalue()


def stripes(height, width, period=2):
    """RGB vertical stripes, ``period`` columns each: 2x2 blocks of one
    value, so that a BOX halving is exact."""
    columns = (np.arange(width) // period) % 7 * 30
    image = np.broadcast_to(columns[None, :, None], (height, width, 3))
    return np.ascontiguousarray(image, dtype=np.uint8)


def build(config, data_root, **overrides):
    cfg = Config.fromfile(osp.join(DATASET_CONFIGS, config))
    dataset = cfg.train_dataloader.dataset
    dataset.update(data_root=str(data_root), **overrides)
    return DATASETS.build(dataset)


def no_flip(dataset):
    for transform in dataset.pipeline.transforms:
        if hasattr(transform, 'prob'):
            transform.prob = 0.0
    return dataset


@pytest.fixture
def lsun_lmdb(tmp_path):
    path = str(tmp_path / 'bedroom_train_lmdb')
    env = lmdb.open(path, map_size=1 << 26)
    with env.begin(write=True) as txn:
        txn.put(b'a', png_bytes(stripes(512, 1024)))
        txn.put(b'b', png_bytes(stripes(256, 300, period=1), 'WEBP'))
        txn.put(b'c', b'a truncated download')
    env.close()
    return path


def test_lsun_lmdb_gives_the_official_preparation(lsun_lmdb):
    dataset = no_flip(build('lsun-bedroom-256x256-lmdb.py', lsun_lmdb))
    assert len(dataset) == 3
    assert [dataset.get_data_info(i)['img_key'] for i in range(3)] == [
        'a', 'b', 'c']
    image = dataset[0]['inputs']['img'].numpy().transpose(1, 2, 0)
    # 1024x512 BOX-halved to 512x256, columns 128..383 kept: one column
    # per original stripe pair.
    expected = stripes(512, 1024)[::2, ::2][:, 128:384]
    assert image.shape == (256, 256, 3)
    np.testing.assert_array_equal(image, expected)
    lossy = dataset[1]['inputs']['img']  # WebP, already 256 high
    assert tuple(lossy.shape) == (3, 256, 256)
    assert dataset.skipped.value == 0


def test_lsun_lmdb_skips_and_counts_an_unreadable_image(lsun_lmdb):
    dataset = build('lsun-bedroom-256x256-lmdb.py', lsun_lmdb)
    item = dataset[2]  # undecodable: replaced by another random image
    assert tuple(item['inputs']['img'].shape) == (3, 256, 256)
    assert dataset.skipped.value >= 1  # more when it draws itself again


def test_lsun_lmdb_opens_once_per_process_and_in_forked_workers(lsun_lmdb):
    first = no_flip(build('lsun-bedroom-256x256-lmdb.py', lsun_lmdb))
    second = no_flip(build('lsun-bedroom-256x256-lmdb.py', lsun_lmdb))
    expected = first[0]['inputs']['img']  # the parent holds the database
    assert torch.equal(second[0]['inputs']['img'], expected)
    loader = torch.utils.data.DataLoader(
        torch.utils.data.Subset(second, [0, 1, 0, 1]), batch_size=None,
        num_workers=2, multiprocessing_context='fork')
    images = [item['inputs']['img'] for item in loader]
    assert torch.equal(images[0], expected)
    assert torch.equal(images[2], expected)
    assert torch.equal(first[0]['inputs']['img'], expected)  # still open


def test_lsun_lmdb_errors_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='missing_lmdb'):
        LSUNLMDBDataset(data_root=str(tmp_path / 'missing_lmdb'))
    broken = tmp_path / 'broken_lmdb'
    broken.mkdir()
    (broken / 'data.mdb').write_bytes(b'\0' * 100)
    with pytest.raises(OSError, match='broken_lmdb'):
        LSUNLMDBDataset(data_root=str(broken))


def write_batch(path, rows, labels, as_npz=False):
    if as_npz:
        np.savez(path, data=rows, labels=np.asarray(labels))
        return
    with open(path, 'wb') as f:
        pickle.dump(dict(data=rows, labels=list(labels),
                         mean=rows.mean(0)), f)


@pytest.fixture
def imagenet_batches(tmp_path):
    rng = np.random.default_rng(0)
    folder = tmp_path / 'Imagenet8'
    folder.mkdir()
    rows = rng.integers(0, 256, (7, 3 * 8 * 8), dtype=np.uint8)
    write_batch(folder / 'train_data_batch_1', rows[:3], [1, 2, 3])
    write_batch(folder / 'train_data_batch_2', rows[3:5], [10, 20])
    write_batch(folder / 'train_data_batch_10', rows[5:], [1000, 5])
    write_batch(folder / 'val_data.npz', rows[:2], [7, 8], as_npz=True)
    return folder, rows


def test_row_to_image_reads_channel_planes():
    row = np.arange(3 * 2 * 2, dtype=np.uint8)  # R: 0..3, G: 4..7, B: 8..11
    image = row_to_image(row)
    assert image.shape == (2, 2, 3)
    assert image[0, 1].tolist() == [1, 5, 9]
    assert image[1, 0].tolist() == [2, 6, 10]


@pytest.mark.parametrize('cached', [False, True])
def test_imagenet_batches_in_batch_order(imagenet_batches, tmp_path, cached):
    folder, rows = imagenet_batches
    cache = str(tmp_path / 'cache') if cached else None
    dataset = build('imagenet-64x64-batches.py', folder, cache_dir=cache)
    no_flip(dataset)
    assert len(dataset) == 7
    labels = [int(dataset[i]['inputs']['labels']) for i in range(7)]
    assert labels == [0, 1, 2, 9, 19, 999, 4]  # batches 1, 2, 10; 1-based
    for i in (0, 4, 6):
        image = dataset[i]['inputs']['img'].numpy()  # CHW
        np.testing.assert_array_equal(image.reshape(-1), rows[i])
    if cached:
        assert sorted(os.listdir(cache))[:2] == ['train_0_labels.npy',
                                                 'train_0_rows.npy']
        again = no_flip(build('imagenet-64x64-batches.py', folder,
                              cache_dir=cache))
        assert again._in_memory is None  # mapped from the cache
        np.testing.assert_array_equal(again[5]['inputs']['img'].numpy()
                                      .reshape(-1), rows[5])
    val = DownsampledImageNetDataset(data_root=str(folder), split='val')
    assert [val.get_data_info(i)['gt_label'] for i in range(2)] == [6, 7]


def test_imagenet_batches_refuse_code_and_bad_files(tmp_path):
    folder = tmp_path / 'batches'
    folder.mkdir()
    with open(folder / 'train_data_batch_1', 'wb') as f:
        pickle.dump(dict(data=os.getcwd, labels=[1]), f)
    with pytest.raises(OSError, match='refusing'):
        DownsampledImageNetDataset(data_root=str(folder))
    (folder / 'train_data_batch_1').write_bytes(b'truncated')
    with pytest.raises(OSError, match='train_data_batch_1'):
        DownsampledImageNetDataset(data_root=str(folder))
    with pytest.raises(FileNotFoundError, match='no val batches'):
        DownsampledImageNetDataset(data_root=str(folder), split='val')


def labelled_folder(root, count=6):
    """``n0<class>_<i>.png`` images of distinct sizes and values."""
    root.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        image = np.full((10 + i, 12, 3), 20 * i, np.uint8)
        Image.fromarray(image).save(root / f'n0{i % 3}_{i}.png')
    return root


def read_all(dataset):
    return [(dataset[i]['inputs']['img'].numpy(),
             int(dataset[i]['inputs'].get('labels', -1)))
            for i in range(len(dataset))]


def test_shards_from_a_folder_read_back_the_same(tmp_path):
    from tools.convert_dataset import main as convert
    folder = labelled_folder(tmp_path / 'folder')
    shards = tmp_path / 'shards'
    assert convert(['folder', str(folder), str(shards), '--to', 'shards',
                    '--class-cond', '--images-per-shard', '4']) == 6
    assert sorted(os.listdir(shards)) == [
        'index.json', 'shard-000000.tar', 'shard-000001.tar']
    source = no_flip(build('imagenet-64x64.py', folder))
    expected = read_all(source)
    for backend in (None, dict(backend='local')):  # in place / whole shards
        dataset = no_flip(build('imagenet-64x64-shards.py', shards,
                                backend_args=backend))
        got = read_all(dataset)
        assert len(got) == 6
        for (a, la), (b, lb) in zip(expected, got):
            assert la == lb
            np.testing.assert_array_equal(a, b)
    os.remove(shards / 'index.json')  # scan the tar headers instead
    scanned = build('imagenet-64x64-shards.py', shards)
    with_index = build('imagenet-64x64-shards.py', tmp_path / 'shards')
    assert [scanned.get_data_info(i) for i in range(6)] == [
        with_index.get_data_info(i) for i in range(6)]


def test_shards_skip_an_unreadable_member_and_need_every_label(tmp_path):
    shards = tmp_path / 'shards'
    shards.mkdir()
    with tarfile.open(shards / 'a.tar', 'w') as tar:
        for name, data in [('x.png', png_bytes(stripes(16, 16))),
                           ('x.cls', b'3'), ('y.png', b'broken'),
                           ('y.cls', b'1')]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    dataset = build('imagenet-64x64-shards.py', shards)
    # y is replaced by a random item until x comes: each miss is counted.
    assert int(dataset[1]['inputs']['labels']) == 3
    assert dataset.skipped.value >= 1
    assert int(dataset[0]['inputs']['labels']) == 3
    with tarfile.open(shards / 'b.tar', 'w') as tar:
        data = png_bytes(stripes(16, 16))
        info = tarfile.TarInfo('z.png')
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    with pytest.raises(ValueError, match='1 images .* no .cls label'):
        TarShardDataset(data_root=str(shards))
    (shards / 'c.tar').write_bytes(b'not a tar file' * 100)
    with pytest.raises(OSError, match='c.tar'):
        TarShardDataset(data_root=str(shards))


def test_conversions_keep_bytes_and_labels(tmp_path, lsun_lmdb):
    from tools.convert_dataset import main as convert
    shards, back = tmp_path / 'shards', tmp_path / 'back_lmdb'
    assert convert(['lmdb', lsun_lmdb, str(shards), '--to', 'shards']) == 2
    assert convert(['shards', str(shards), str(back), '--to', 'lmdb']) == 2
    source, copy = (LSUNLMDBDataset(data_root=str(path))
                    for path in (lsun_lmdb, back))
    assert [copy.raw_record(i).data for i in range(2)] == [
        source.raw_record(i).data for i in range(2)]  # bit for bit
    index = json.loads((shards / 'index.json').read_text())
    assert [item['label'] for item in index['shard-000000.tar']] == [None,
                                                                      None]
    folder = labelled_folder(tmp_path / 'classes')
    out = tmp_path / 'copy'
    assert convert(['folder', str(folder), str(out), '--to', 'folder',
                    '--class-cond']) == 6
    a = ImageFolderDataset(data_root=str(folder), class_cond=True)
    b = ImageFolderDataset(data_root=str(out), class_cond=True)
    assert a.metainfo['classes'] == b.metainfo['classes']
    assert [a.raw_record(i)[1:3] for i in range(6)] == [
        b.raw_record(i)[1:3] for i in range(6)]
