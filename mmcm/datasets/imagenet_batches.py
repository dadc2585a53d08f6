"""Downsampled ImageNet as distributed (Chrabaszcz et al., 2017).

``train_data_batch_1`` ... ``train_data_batch_10`` and ``val_data``, each a
Python pickle (or, from the ``*_npz`` archives, an ``.npz``) of a dict with
``data``: ``uint8`` rows of ``3 * S * S`` values (the red plane, then green,
then blue, each row-major) and ``labels``: class indices from 1 to 1000.
"""
import os
import os.path as osp
import pickle
import re
from typing import List, Optional, Tuple

import numpy as np
from mmengine.dataset import BaseDataset

from mmcm.registry import DATASETS

from .records import PerProcessHandle, RawRecord, SkipCountingMixin

SPLIT_FILES = dict(train=r'train_data_batch_(\d+)(\.npz)?', val=r'val_data'
                   r'()(\.npz)?')
# The globals a pickle of numpy arrays and lists may name; anything else is
# refused, so a batch file cannot run code when it is read.
NUMPY_GLOBALS = {
    ('numpy.core.multiarray', '_reconstruct'), ('numpy', 'ndarray'),
    ('numpy', 'dtype'), ('numpy.core.multiarray', 'scalar'),
    ('numpy._core.multiarray', '_reconstruct'),
    ('numpy._core.multiarray', 'scalar'),
}


class _NumpyUnpickler(pickle.Unpickler):

    def find_class(self, module, name):
        if (module, name) not in NUMPY_GLOBALS:
            raise pickle.UnpicklingError(
                f'refusing {module}.{name} in an image batch file')
        return super().find_class(module, name)


def read_batch(path: str) -> Tuple[np.ndarray, np.ndarray]:
    """``(rows, labels)`` of one batch file: ``uint8 (N, 3 S S)`` and the
    0-based ``int64`` class indices."""
    try:
        if path.endswith('.npz'):
            with np.load(path, allow_pickle=False) as batch:
                rows, labels = batch['data'], batch['labels']
        else:
            with open(path, 'rb') as f:
                batch = _NumpyUnpickler(f, encoding='latin1').load()
            rows, labels = batch['data'], batch['labels']
    except (OSError, KeyError, ValueError, EOFError,
            pickle.UnpicklingError) as error:
        raise OSError(f'{path!r} is not a readable image batch: '
                      f'{type(error).__name__}: {error}') from error
    rows, labels = np.asarray(rows), np.asarray(labels, dtype=np.int64) - 1
    if rows.dtype != np.uint8 or rows.ndim != 2 or len(rows) != len(labels):
        raise OSError(f'{path!r}: expected uint8 rows and one label each, '
                      f'got {rows.dtype} {rows.shape}, {labels.shape}')
    return rows, labels


def row_to_image(row: np.ndarray) -> np.ndarray:
    """A ``3 S S`` channel-major row as an ``(S, S, 3)`` image."""
    side = int(round((row.size // 3) ** 0.5))
    if 3 * side * side != row.size:
        raise ValueError(f'a row of {row.size} values is not 3 x S x S')
    return np.ascontiguousarray(row.reshape(3, side, side).transpose(1, 2, 0))


def batch_files(folder: str, split: str) -> List[str]:
    """The split's batch files in ``folder``, in batch order."""
    if split not in SPLIT_FILES:
        raise ValueError(f'split must be one of {tuple(SPLIT_FILES)}, '
                         f'got {split!r}')
    if not osp.isdir(folder):
        raise FileNotFoundError(f'batch folder {folder!r} does not exist')
    pattern = re.compile(SPLIT_FILES[split] + '$')
    found = [(m.group(1), name) for name in os.listdir(folder)
             if (m := pattern.match(name))]
    if not found:
        raise FileNotFoundError(f'no {split} batches in {folder!r}')
    return [osp.join(folder, name)
            for _, name in sorted(found, key=lambda f: int(f[0] or 0))]


@DATASETS.register_module()
class DownsampledImageNetDataset(SkipCountingMixin, BaseDataset):
    """Downsampled ImageNet (32x32 or 64x64) read from its batch files.

    The batches are read once at start-up. Without ``cache_dir`` their rows
    stay in this process's memory (about 15.7 GB for the 64x64 training set,
    never copied) and forked dataloader workers share them. With
    ``cache_dir`` each batch's rows are written once to an ``.npy`` there,
    and every process maps those files lazily instead (nothing in memory).
    Each item is ``dict(img=<(S, S, 3) uint8>, gt_label=<0-based class>)``;
    the pipeline needs no loading step.

    Args:
        data_root: Folder with the split's batch files.
        split: ``'train'`` or ``'val'``.
        cache_dir: Where to keep memory-mappable copies of the rows.
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset`.
    """

    METAINFO = dict(num_classes=1000)

    def __init__(self, data_root: str = '', split: str = 'train',
                 cache_dir: Optional[str] = None, **kwargs):
        self.split = split
        self.cache_dir = cache_dir
        self._init_skip_counter()
        self._batches = PerProcessHandle(self._map_batches)
        self._in_memory: Optional[List[np.ndarray]] = None
        self._num_batches = 0
        super().__init__(data_root=data_root, **kwargs)

    def cache_file(self, batch: int, what: str) -> str:
        return osp.join(self.cache_dir, f'{self.split}_{batch}_{what}.npy')

    def load_data_list(self) -> List[dict]:
        files = batch_files(self.data_root, self.split)
        self._num_batches = len(files)
        kept = []
        items = []
        for batch, path in enumerate(files):
            labels = self._labels_of(batch, path, kept)
            items += [dict(batch=batch, row=row, gt_label=int(label))
                      for row, label in enumerate(labels)]
        if self.cache_dir is None:
            self._in_memory = kept
        return items

    def _labels_of(self, batch: int, path: str, kept: list) -> np.ndarray:
        """Read one batch: keep its rows (memory) or cache them (disk)."""
        if self.cache_dir is not None and osp.isfile(
                self.cache_file(batch, 'labels')):
            return np.load(self.cache_file(batch, 'labels'))
        rows, labels = read_batch(path)
        if self.cache_dir is None:
            kept.append(rows)
        else:
            os.makedirs(self.cache_dir, exist_ok=True)
            np.save(self.cache_file(batch, 'rows'), rows)
            np.save(self.cache_file(batch, 'labels'), labels)
        return labels

    def _map_batches(self) -> List[np.ndarray]:
        if self._in_memory is not None:
            return self._in_memory
        return [np.load(self.cache_file(batch, 'rows'), mmap_mode='r')
                for batch in range(self._num_batches)]

    def fetch(self, info: dict) -> None:
        rows = self._batches.get()[info['batch']]
        info['img'] = row_to_image(rows[info['row']])

    def raw_record(self, idx: int) -> RawRecord:
        info = self.get_data_info(idx)
        self.fetch(info)
        return RawRecord(f'{self.split}_{idx:08d}', None, info['gt_label'],
                         pixels=info['img'])


__all__ = ['DownsampledImageNetDataset', 'read_batch', 'row_to_image',
           'batch_files']
