"""Reference sets for FID and precision/recall, computed once and cached.

A reference is one of:

- an ``.npz`` with ``mu`` and ``sigma`` (what FID needs), such as OpenAI's
  reference batches (``VIRTUAL_imagenet64_labeled.npz`` and the LSUN ones,
  which also hold the images as ``arr_0``) or a file this module wrote
  (which also holds ``features``);
- an ``.npz`` with images only (``arr_0``, ``(N, H, W, 3)`` uint8);
- a folder of images (read with :class:`~mmcm.datasets.ImageFolderDataset`);
- a dataset config (a ``dict``) whose items hold ``inputs['img']``.

Features are computed from images only when needed (always for folders
and datasets; for an official batch only when precision/recall asks for
them) and cached as ``.npz`` (``mu``, ``sigma``, ``features``) under
``cache_dir`` (default ``$MMCM_HOME/fid_reference``), keyed by the source.
"""
import hashlib
import json
import os
import os.path as osp
import zipfile
from typing import Iterator, Optional, Tuple, Union

import numpy as np
import torch
from mmengine.utils import ProgressBar
from torch import nn

from mmcm.registry import DATASETS
from mmcm.utils.paths import fid_reference_cache_dir
from .statistics import FeatureStatistics, load_statistics

Source = Union[str, dict]


def npz_keys(path: str) -> Tuple[str, ...]:
    """Names of the arrays in an ``.npz`` (no array is read)."""
    with np.load(path) as data:
        return tuple(data.files)


def _npy_header(member) -> tuple:
    """``(shape, fortran_order, dtype)`` of an open ``.npy`` stream."""
    version = np.lib.format.read_magic(member)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(member)
    if version == (2, 0):
        return np.lib.format.read_array_header_2_0(member)
    raise ValueError(f'unsupported .npy format version {version}')


def iter_npz_images(path: str, batch_size: int,
                    key: str = 'arr_0') -> Iterator[np.ndarray]:
    """Batches of ``key`` read from an ``.npz`` without loading it whole.

    The LSUN reference batches hold gigabytes of images; the ``.npy``
    member is read straight from the zip, ``batch_size`` rows at a time.
    """
    with zipfile.ZipFile(path) as archive:
        with archive.open(f'{key}.npy') as member:
            shape, fortran, dtype = _npy_header(member)
            if fortran or dtype.hasobject:
                raise ValueError(f'{path}:{key} is not a C-ordered array')
            row_bytes = int(np.prod(shape[1:])) * dtype.itemsize
            for start in range(0, shape[0], batch_size):
                rows = min(batch_size, shape[0] - start)
                buffer = member.read(rows * row_bytes)
                yield np.frombuffer(buffer, dtype).reshape(rows, *shape[1:])


def _dataset_batches(dataset, batch_size: int,
                     num_images: int) -> Iterator[torch.Tensor]:
    """``(B, 3, H, W)`` uint8 batches of the images of a dataset."""
    batch = []
    for index in range(num_images):
        batch.append(torch.as_tensor(dataset[index]['inputs']['img']))
        if len(batch) == batch_size or index == num_images - 1:
            yield torch.stack(batch)
            batch = []


def folder_dataset_cfg(folder: str, resolution: Optional[int]) -> dict:
    """Config of an :class:`ImageFolderDataset` of ``folder``'s images.

    With ``resolution``, images are centre-cropped and resized as ADM's
    data loader does (the official training preprocessing).
    """
    pipeline = [dict(type='LoadImageRGB')]
    if resolution:
        pipeline.append(dict(type='CenterCropADM', image_size=resolution))
    pipeline.append(dict(type='PackConsistencyInputs'))
    return dict(type='ImageFolderDataset', data_root=folder,
                pipeline=pipeline)


class ReferenceSet:
    """Statistics and features of a reference set, computed on demand.

    Args:
        source: See the module documentation.
        extractor: ``images -> features`` module, needed only when features
            must be computed from images.
        cache_dir: Where computed features and statistics are cached.
        batch_size: Images per extractor call.
        num_images: Use only the first ``num_images`` images.
        resolution: For folders: centre crop and resize to this size.
    """

    def __init__(self, source: Source,
                 extractor: Optional[nn.Module] = None,
                 cache_dir: Optional[str] = None,
                 batch_size: int = 64,
                 num_images: Optional[int] = None,
                 resolution: Optional[int] = None) -> None:
        if isinstance(source, str) and not osp.exists(source):
            raise FileNotFoundError(f'reference not found: {source}')
        self.source = source
        self.extractor = extractor
        self.cache_dir = cache_dir or fid_reference_cache_dir()
        self.batch_size = batch_size
        self.num_images = num_images
        self.resolution = resolution

    @property
    def is_npz(self) -> bool:
        return isinstance(self.source, str) and self.source.endswith('.npz')

    def statistics(self) -> Tuple[np.ndarray, np.ndarray]:
        """``(mu, sigma)`` in float64."""
        if self.is_npz and {'mu', 'sigma'} <= set(npz_keys(self.source)):
            return load_statistics(self.source)
        return load_statistics(self.cached())

    def features(self) -> np.ndarray:
        """``(N, D)`` float32 features of the reference images."""
        if self.is_npz and 'features' in npz_keys(self.source):
            return _read_features(self.source)
        return _read_features(self.cached())

    def cache_path(self) -> str:
        """The cache file of this source and extractor."""
        if isinstance(self.source, str):
            name = osp.splitext(osp.basename(osp.normpath(self.source)))[0]
            spec = dict(path=osp.abspath(self.source),
                        mtime=osp.getmtime(self.source))
        else:
            name, spec = self.source.get('type', 'dataset'), self.source
        spec = dict(spec, num_images=self.num_images,
                    resolution=self.resolution,
                    extractor=type(self.extractor).__name__)
        digest = hashlib.sha1(json.dumps(spec, sort_keys=True,
                                         default=str).encode()).hexdigest()
        return osp.join(self.cache_dir, f'{name}-{digest[:10]}.npz')

    def cached(self) -> str:
        """Path of the cached statistics, computing them when missing."""
        path = self.cache_path()
        if not osp.isfile(path):
            self.compute(path)
        return path

    def compute(self, path: str) -> None:
        """Run the extractor over the reference images; save to ``path``."""
        if self.extractor is None:
            raise ValueError(f'features of {self.source!r} must be computed '
                             'from its images: pass an extractor')
        total, batches = self._image_batches()
        stats, parts = FeatureStatistics(), []
        progress = ProgressBar(total)
        for batch in batches:
            batch = torch.as_tensor(np.array(batch))
            if self.is_npz:  # NHWC (or NHW gray) as OpenAI's batches
                batch = batch.reshape(*batch.shape[:3], -1).permute(0, 3, 1, 2)
            features = self.extractor(batch).float().cpu().numpy()
            stats.update(features)
            parts.append(features)
            progress.update(len(batch))
        os.makedirs(osp.dirname(path) or '.', exist_ok=True)
        np.savez(path, mu=stats.mu, sigma=stats.sigma,
                 features=np.concatenate(parts), num_images=stats.count)

    def _image_batches(self):
        if self.is_npz:
            if 'arr_0' not in npz_keys(self.source):
                raise KeyError(f'{self.source} has neither mu/sigma/features'
                               ' nor images (arr_0)')
            with zipfile.ZipFile(self.source) as archive, archive.open(
                    'arr_0.npy') as member:
                count = _npy_header(member)[0][0]
            total = min(count, self.num_images or count)
            batches = iter_npz_images(self.source, self.batch_size)
            return total, _take(batches, total)
        cfg = self.source if isinstance(self.source, dict) else (
            folder_dataset_cfg(self.source, self.resolution))
        dataset = DATASETS.build(cfg)
        total = min(len(dataset), self.num_images or len(dataset))
        return total, _dataset_batches(dataset, self.batch_size, total)


def _take(batches: Iterator[np.ndarray], total: int) -> Iterator[np.ndarray]:
    """The first ``total`` rows of a stream of batches."""
    seen = 0
    for batch in batches:
        if seen >= total:
            return
        yield batch[:total - seen]
        seen += len(batch)


def _read_features(path: str) -> np.ndarray:
    with np.load(path) as data:
        if 'features' not in data.files:
            raise KeyError(f'{path} has no "features" array (has '
                           f'{data.files})')
        return data['features'].astype(np.float32)
