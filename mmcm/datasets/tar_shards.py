"""Tar shards of images with label sidecars (the webdataset layout).

A shard is a plain tar file; an item is the members sharing a key:
``<key>.png`` (or ``.jpg``, ``.jpeg``, ``.webp``, ``.gif``) and, for
labelled data, ``<key>.cls`` holding the class index as text. Shards are
found as ``data_root/*.tar`` in sorted order. An ``index.json`` next to
them (written by ``tools/convert_dataset.py``) lists every member's offset,
so start-up reads no shard; without it the tar headers are scanned.
"""
import collections
import functools
import io
import json
import os.path as osp
import tarfile
from typing import Dict, List, Optional

from mmengine import fileio
from mmengine.dataset import BaseDataset

from mmcm.registry import DATASETS

from .image_folder import IMAGE_EXTENSIONS
from .records import PerProcessHandle, RawRecord, SkipCountingMixin

SHARD_IMAGE_EXTENSIONS = IMAGE_EXTENSIONS + ('webp', )
INDEX_FILE = 'index.json'


def split_member_name(name: str):
    """``'a/b.c.png'`` -> ``('a/b.c', 'png')``: the key and the lower-case
    extension, split at the last dot."""
    key, _, ext = name.rpartition('.')
    return key, ext.lower()


def scan_shard(tar: tarfile.TarFile) -> List[dict]:
    """The items of an open shard: ``key``, ``offset``, ``size`` of the
    image bytes and ``label`` (``None`` without a ``.cls`` member)."""
    images: Dict[str, dict] = {}
    labels: Dict[str, int] = {}
    for member in tar:
        if not member.isfile():
            continue
        key, ext = split_member_name(member.name)
        if ext in SHARD_IMAGE_EXTENSIONS:
            images[key] = dict(key=key, offset=member.offset_data,
                               size=member.size)
        elif ext == 'cls':
            labels[key] = int(tar.extractfile(member).read().decode())
    return [dict(item, label=labels.get(key)) for key, item in images.items()]


class ShardReader:
    """Image bytes at ``(offset, size)`` of a shard.

    Local files are read in place (one open file per shard and process);
    other mmengine backends fetch a whole shard and keep the last
    ``cache_shards`` in memory.
    """

    def __init__(self, backend_args: Optional[dict], cache_shards: int = 4):
        self.backend_args = backend_args
        self.cache_shards = cache_shards
        self._files: Dict[str, Optional[io.BufferedReader]] = {}
        self._cache = collections.OrderedDict()

    def is_local(self, shard: str) -> bool:
        return self.backend_args is None and osp.isfile(shard)

    def read(self, shard: str, offset: int, size: int) -> bytes:
        if shard not in self._files:  # an open file, or None: not local
            self._files[shard] = (open(shard, 'rb') if self.is_local(shard)
                                  else None)
        file = self._files[shard]
        if file is None:
            return self.whole(shard)[offset:offset + size]
        file.seek(offset)
        return file.read(size)

    def whole(self, shard: str) -> bytes:
        if shard in self._cache:
            self._cache.move_to_end(shard)
        else:
            self._cache[shard] = fileio.get(shard, self.backend_args)
            while len(self._cache) > self.cache_shards:
                self._cache.popitem(last=False)
        return self._cache[shard]


@DATASETS.register_module()
class TarShardDataset(SkipCountingMixin, BaseDataset):
    """Images stored in tar shards, read by offset when sampled.

    Items hold ``img_key`` (``<shard>/<key>``) and, when the shards carry
    ``.cls`` sidecars, ``gt_label``. A labelled data set must label every
    image. The pipeline starts with :class:`~mmcm.datasets.LoadImageRGB`,
    which decodes the bytes.

    Args:
        data_root: Folder of ``*.tar`` shards (local or any mmengine
            backend).
        backend_args: mmengine file backend arguments.
        cache_shards: Whole shards kept per process for non-local backends.
        **kwargs: Passed to :class:`mmengine.dataset.BaseDataset`.
    """

    def __init__(self, data_root: str = '',
                 backend_args: Optional[dict] = None, cache_shards: int = 4,
                 **kwargs):
        self.backend_args = backend_args
        self.cache_shards = cache_shards
        self._init_skip_counter()
        self._paths: Dict[str, str] = {}
        self._reader = PerProcessHandle(
            functools.partial(ShardReader, backend_args, cache_shards))
        super().__init__(data_root=data_root, **kwargs)

    def shard_path(self, name: str) -> str:
        return fileio.join_path(self.data_root, name,
                                backend_args=self.backend_args)

    def load_data_list(self) -> List[dict]:
        shards = self._index()
        items = [dict(item, shard=name) for name, members in shards.items()
                 for item in members]
        if not items:
            raise FileNotFoundError(f'no images in the tar shards of '
                                    f'{self.data_root!r}')
        labelled = [item['label'] is not None for item in items]
        if any(labelled) and not all(labelled):
            raise ValueError(f'{labelled.count(False)} images of '
                             f'{self.data_root!r} have no .cls label')
        return [dict(img_key=f"{item['shard']}/{item['key']}",
                     shard=item['shard'], offset=item['offset'],
                     size=item['size'],
                     **({} if item['label'] is None else
                        dict(gt_label=item['label'])))
                for item in items]

    def _index(self) -> Dict[str, List[dict]]:
        """``{shard name: items}`` from ``index.json`` or the tar headers."""
        index = self.shard_path(INDEX_FILE)
        if fileio.exists(index, backend_args=self.backend_args):
            return json.loads(fileio.get_text(
                index, backend_args=self.backend_args))
        if not fileio.isdir(self.data_root, self.backend_args):
            raise FileNotFoundError(
                f'shard folder {self.data_root!r} does not exist')
        names = sorted(
            f for f in fileio.list_dir_or_file(
                self.data_root, list_dir=False, suffix='.tar',
                backend_args=self.backend_args))
        return {name: self._scan(name) for name in names}

    @staticmethod
    def scan_tar(tar: tarfile.TarFile) -> List[dict]:
        """The items of an open shard (subclasses read other members)."""
        return scan_shard(tar)

    def _scan(self, name: str) -> List[dict]:
        path = self.shard_path(name)
        reader = self._reader.get()
        try:
            if reader.is_local(path):
                with tarfile.open(path, 'r:') as tar:
                    return self.scan_tar(tar)
            with tarfile.open(fileobj=io.BytesIO(reader.whole(path)),
                              mode='r:') as tar:
                return self.scan_tar(tar)
        except tarfile.TarError as error:
            raise OSError(f'{path!r} is not a readable tar shard: '
                          f'{error}') from error

    def fetch(self, info: dict) -> None:
        path = self._paths.get(info['shard'])
        if path is None:
            path = self._paths[info['shard']] = self.shard_path(info['shard'])
        info['img_bytes'] = self._reader.get().read(path, info['offset'],
                                                    info['size'])

    def raw_record(self, idx: int) -> RawRecord:
        info = self.get_data_info(idx)
        self.fetch(info)
        return RawRecord(info['img_key'], info['img_bytes'],
                         info.get('gt_label'))


__all__ = ['TarShardDataset', 'ShardReader', 'scan_shard', 'INDEX_FILE']
