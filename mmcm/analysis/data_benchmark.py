"""Data-loading speed of every format, on the same images.

:func:`make_formats` writes one set of images as an image folder, tar
shards, an LMDB database and downsampled-ImageNet batches;
:func:`loading_speed` times a dataloader over one of them with the
training pipeline of its base config, after a warm-up batch.
"""
import os
import os.path as osp
import pickle
import time
from typing import Dict, Optional

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import default_collate
from PIL import Image

from mmcm.registry import DATASETS

from mmcm.apis.model_zoo import configs_root

#: format -> (base config of _base_/datasets, what data_root points at)
FORMATS = {
    'folder': 'imagenet-64x64.py',
    'shards': 'imagenet-64x64-shards.py',
    'lmdb': 'lsun-bedroom-256x256-lmdb.py',
    'batches': 'imagenet-64x64-batches.py',
}


def smooth_images(count: int, size: int, seed: int = 0) -> np.ndarray:
    """``count`` RGB images that compress like photographs (blurred
    colour fields), ``uint8 (N, size, size, 3)``."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, (count, 3, 8, 8)).astype(np.float32)
    fine = torch.nn.functional.interpolate(
        torch.from_numpy(coarse), size=(size, size), mode='bicubic',
        align_corners=False)
    noise = torch.from_numpy(rng.normal(0, 6, fine.shape).astype(np.float32))
    images = (fine + noise).clamp(0, 255).round().to(torch.uint8)
    return images.permute(0, 2, 3, 1).numpy()


def make_formats(root: str, count: int = 2048, size: int = 64,
                 ext: str = 'JPEG') -> Dict[str, str]:
    """Write the same ``count`` images in every format under ``root``;
    returns ``{format: data_root}``."""
    from mmcm.datasets import ImageFolderDataset
    from mmcm.datasets.writers import write_lmdb, write_shards
    images = smooth_images(count, size)
    folder = osp.join(root, 'folder')
    os.makedirs(folder, exist_ok=True)
    for i, image in enumerate(images):
        Image.fromarray(image).save(
            osp.join(folder, f'n{i % 10:08d}_{i}.{ext}'), quality=90)
    source = ImageFolderDataset(data_root=folder, class_cond=True)
    records = [source.raw_record(i) for i in range(len(source))]
    write_shards(records, osp.join(root, 'shards'), images_per_shard=1000)
    write_lmdb(records, osp.join(root, 'lmdb'), map_size=1 << 30)
    batches = osp.join(root, 'batches')
    os.makedirs(batches, exist_ok=True)
    rows = images.transpose(0, 3, 1, 2).reshape(count, -1)
    with open(osp.join(batches, 'train_data_batch_1'), 'wb') as f:
        pickle.dump(dict(data=rows, labels=[1 + i % 10 for i in
                                            range(count)]), f)
    return dict(folder=folder, shards=osp.join(root, 'shards'),
                lmdb=osp.join(root, 'lmdb'), batches=batches)


def build_format(kind: str, data_root: str, image_size: int = 64):
    """The format's data set with its base config's pipeline, cropped to
    ``image_size`` (LSUN's base crops to 256)."""
    cfg = Config.fromfile(osp.join(configs_root(), '_base_', 'datasets',
                                   FORMATS[kind]))
    dataset = cfg.train_dataloader.dataset
    dataset.data_root = data_root
    for step in dataset.pipeline:
        if 'image_size' in step:
            step['image_size'] = image_size
    return DATASETS.build(dataset)


def loading_speed(dataset, batch_size: int, workers: int,
                  batches: int = 8, seed: int = 0) -> Dict[str, float]:
    """Images per second of a shuffling dataloader over ``dataset``, timed
    over ``batches`` batches after the first (workers started, caches
    warm)."""
    generator = torch.Generator().manual_seed(seed)
    loader = torch.utils.data.DataLoader(
        dataset, batch_size=batch_size, shuffle=True, num_workers=workers,
        collate_fn=default_collate, generator=generator, drop_last=True,
        persistent_workers=False)
    iterator = iter(loader)
    next(iterator)
    start = time.perf_counter()
    for _ in range(batches):
        next(iterator)
    seconds = time.perf_counter() - start
    del iterator
    return dict(images_per_second=batches * batch_size / seconds,
                seconds=seconds)


def benchmark_formats(root: str, workers=(0, 2), batch_size: int = 256,
                      batches: int = 8, count: int = 4096,
                      kinds: Optional[list] = None,
                      repeats: int = 3) -> list:
    """Rows ``dict(format, workers, images_per_second, runs)`` for every
    format and worker count, on the images :func:`make_formats` writes.

    Each row is timed ``repeats`` times, the rounds interleaved over the
    formats (so that a slow spell of the machine hits them all), and
    reports the median round; ``runs`` holds every round's images/s.
    """
    roots = make_formats(root, count=count)
    kinds = kinds or list(FORMATS)
    datasets = {kind: build_format(kind, roots[kind]) for kind in kinds}
    runs = {(kind, n): [] for kind in kinds for n in workers}
    for repeat in range(repeats):
        for kind, n in runs:
            speed = loading_speed(datasets[kind], batch_size, n, batches,
                                  seed=repeat)
            runs[kind, n].append(speed['images_per_second'])
    return [dict(format=kind, workers=n,
                 images_per_second=float(np.median(speeds)), runs=speeds)
            for (kind, n), speeds in runs.items()]


__all__ = ['FORMATS', 'benchmark_formats', 'build_format', 'loading_speed',
           'make_formats', 'smooth_images']
