"""LSUN as released: one LMDB database per category (key -> encoded image)."""
import os
import os.path as osp
from typing import List, Optional

from mmengine.dataset import BaseDataset

from mmcm.registry import DATASETS

from .records import RawRecord, SkipCountingMixin


# realpath -> (pid, environment): LMDB forbids opening the same files
# twice in one process, so the datasets of a process share one.
_ENVIRONMENTS = {}


def open_lmdb(path: str):
    """The read-only LMDB environment of ``path`` for this process.

    Datasets on the same database in one process share it. A forked
    dataloader worker inherits its parent's environments, which LMDB does
    not allow to be used after a fork (nor, in py-lmdb 3, the files to be
    opened again while they exist): the worker closes its copies first.
    """
    import lmdb
    if not osp.exists(path):
        raise FileNotFoundError(f'LMDB database {path!r} does not exist')
    _close_inherited_environments()
    key = osp.realpath(path)
    if key not in _ENVIRONMENTS:
        try:
            env = lmdb.open(path, readonly=True, lock=False, readahead=False,
                            meminit=False, max_readers=1024,
                            subdir=osp.isdir(path))
        except lmdb.Error as error:
            raise OSError(f'{path!r} is not a readable LMDB database: '
                          f'{error}') from error
        _ENVIRONMENTS[key] = (os.getpid(), env)
    return _ENVIRONMENTS[key][1]


def _close_inherited_environments() -> None:
    pid = os.getpid()
    for key, (owner, env) in list(_ENVIRONMENTS.items()):
        if owner != pid:
            env.close()  # this process's copy only: no locks (lock=False)
            del _ENVIRONMENTS[key]


@DATASETS.register_module()
class LSUNLMDBDataset(SkipCountingMixin, BaseDataset):
    """The images of an LSUN category's ``<category>_train_lmdb``.

    The keys are listed at start-up; each item's encoded image (WebP in the
    released files) is read when sampled, through an environment each
    process opens for itself, and decoded by the pipeline's
    :class:`~mmcm.datasets.LoadImageRGB`. ``CenterCropLSUN`` then prepares
    it as the official exporter does. Items hold ``img_key`` and, when
    ``label`` is given (several categories trained together as classes),
    ``gt_label``.

    Args:
        data_root: The database folder (``data.mdb`` inside) or file.
        label: Class index of every image of this database, or ``None``.
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset`.
    """

    def __init__(self, data_root: str = '', label: Optional[int] = None,
                 **kwargs):
        self.label = label
        self._init_skip_counter()
        super().__init__(data_root=data_root, **kwargs)

    def _env(self):
        """This process's environment (:func:`open_lmdb` keeps one)."""
        return open_lmdb(self.data_root)

    def load_data_list(self) -> List[dict]:
        with self._env().begin(write=False) as txn:
            keys = list(txn.cursor().iternext(keys=True, values=False))
        if not keys:
            raise ValueError(f'LMDB database {self.data_root!r} is empty')
        extra = {} if self.label is None else dict(gt_label=self.label)
        return [dict(img_key=key.decode(), **extra) for key in keys]

    def read_bytes(self, key: str) -> bytes:
        with self._env().begin(write=False) as txn:
            data = txn.get(key.encode())
        if data is None:
            raise KeyError(f'{key!r} is not in {self.data_root!r}')
        return data

    def fetch(self, info: dict) -> None:
        info['img_bytes'] = self.read_bytes(info['img_key'])

    def raw_record(self, idx: int) -> RawRecord:
        info = self.get_data_info(idx)
        return RawRecord(info['img_key'], self.read_bytes(info['img_key']),
                         info.get('gt_label'))


__all__ = ['LSUNLMDBDataset', 'open_lmdb']
