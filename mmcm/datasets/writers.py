"""Write images to the formats the data sets read: tar shards, an LMDB
database, an image folder (``tools/convert_dataset.py``)."""
import io
import json
import os
import os.path as osp
import tarfile
from typing import Iterable, Optional, Sequence, Tuple

import numpy as np
from PIL import Image

from .records import RawRecord, warn_unreadable
from .tar_shards import INDEX_FILE
from .transforms import UNREADABLE

EXTENSIONS = dict(jpeg='jpg', png='png', webp='webp', gif='gif')


def encoded(record: RawRecord):
    """``(bytes, extension)`` of a record: its stored bytes when PIL reads
    them (kept bit for bit, no re-encoding), pixels as PNG; ``None`` for
    bytes that do not decode."""
    if record.data is None:
        buffer = io.BytesIO()
        Image.fromarray(np.asarray(record.pixels)).save(buffer, 'PNG')
        return buffer.getvalue(), 'png'
    try:
        with Image.open(io.BytesIO(record.data)) as image:
            image.load()
            kind = (image.format or '').lower()
    except UNREADABLE as error:
        warn_unreadable(record.key, error)
        return None
    return record.data, EXTENSIONS.get(kind, kind)


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> int:
    """Append a member; return the offset of its data in the file (after
    its one USTAR header block: names are short)."""
    info = tarfile.TarInfo(name)
    info.size = len(data)
    start = tar.offset
    tar.addfile(info, io.BytesIO(data))
    return start + tarfile.BLOCKSIZE


def write_shards(records: Iterable[RawRecord], out_dir: str,
                 images_per_shard: int = 1000) -> int:
    """Tar shards ``shard-000000.tar`` ... of ``<index>.<ext>`` images with
    ``<index>.cls`` labels, and their ``index.json``; returns the images
    written (unreadable ones are skipped and logged)."""
    def members():
        for record in records:
            item = encoded(record)
            if item is not None:
                yield item[0], item[1], record.label

    return write_shard_members(members(), out_dir, images_per_shard)


def write_shard_members(items: Iterable[Tuple[bytes, str, Optional[int]]],
                        out_dir: str, items_per_shard: int = 1000) -> int:
    """Tar shards ``shard-000000.tar`` ... of ``(data, extension, label)``
    items as ``<index>.<extension>`` with ``<index>.cls`` labels, and their
    ``index.json`` (each item's key, data offset, size and label); returns
    the items written."""
    os.makedirs(out_dir, exist_ok=True)
    index, tar, written = {}, None, 0
    for data, ext, label in items:
        if written % items_per_shard == 0:
            if tar is not None:
                tar.close()
            name = f'shard-{written // items_per_shard:06d}.tar'
            tar = tarfile.open(osp.join(out_dir, name), 'w',
                               format=tarfile.USTAR_FORMAT)
            index[name] = []
        key = f'{written:08d}'
        offset = _add(tar, f'{key}.{ext}', data)
        if label is not None:
            _add(tar, f'{key}.cls', str(label).encode())
        index[name].append(dict(key=key, offset=offset, size=len(data),
                                label=label))
        written += 1
    if tar is not None:
        tar.close()
    with open(osp.join(out_dir, INDEX_FILE), 'w', encoding='utf-8') as f:
        json.dump(index, f)
    return written


def write_lmdb(records: Iterable[RawRecord], path: str,
               map_size: int = 1 << 40) -> int:
    """An LSUN-style LMDB: ``<index>`` -> encoded image (labels are not
    stored, as in LSUN); returns the images written."""
    import lmdb
    env = lmdb.open(path, map_size=map_size)
    written = 0
    with env.begin(write=True) as txn:
        for record in records:
            item = encoded(record)
            if item is not None:
                txn.put(f'{written:08d}'.encode(), item[0])
                written += 1
    env.close()
    return written


def write_folder(records: Iterable[RawRecord], out_dir: str,
                 class_names: Optional[Sequence[str]] = None) -> int:
    """``<class>_<index>.<ext>`` files (``ImageFolderDataset`` reads the
    class from the prefix; ``class_names[label]`` or the zero-padded label)
    or ``<index>.<ext>`` for unlabelled records; returns the images
    written."""
    os.makedirs(out_dir, exist_ok=True)
    written = 0
    for record in records:
        item = encoded(record)
        if item is None:
            continue
        data, ext = item
        prefix = '' if record.label is None else (
            f'{class_names[record.label]}_' if class_names else
            f'{record.label:04d}_')
        with open(osp.join(out_dir, f'{prefix}{written:08d}.{ext}'),
                  'wb') as f:
            f.write(data)
        written += 1
    return written


__all__ = ['encoded', 'write_folder', 'write_lmdb', 'write_shards']
