"""Latent moments in tar shards: images encoded once by a VAE.

The layout of :class:`~mmcm.datasets.TarShardDataset` with ``.npy`` members
in place of images: an item is ``<key>.npy`` (a ``float16`` or ``float32``
array of shape ``(2C, h, w)``, the posterior mean then std of the VAE,
8 x 64 x 64 for a 512 x 512 image and the Stable Diffusion VAE) and, for
labelled data, ``<key>.cls``. ``index.json`` lists every member's offset as
for image shards, and ``latents.json`` beside it records how the latents
were made (VAE, pixel range, resolution). ``tools/encode_latents.py``
writes them; a training step draws ``mean + std * eps`` from the moments
(:class:`~mmcm.models.ConsistencyDataPreprocessor` with ``latents``).
"""
import io
import json
import os.path as osp
import tarfile
from typing import Iterable, List, NamedTuple, Optional, Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine import fileio

from mmcm.registry import DATASETS, TRANSFORMS

from .tar_shards import TarShardDataset, split_member_name
from .writers import write_shard_members

MOMENTS_EXTENSION = 'npy'
META_FILE = 'latents.json'
MOMENTS_DTYPES = ('float16', 'float32')


class LatentRecord(NamedTuple):
    """One encoded image: its key, its ``(2C, h, w)`` moments and its class
    index (or ``None``)."""
    key: str
    moments: np.ndarray
    label: Optional[int]


def npy_bytes(array: np.ndarray) -> bytes:
    """``array`` as the bytes of an ``.npy`` file."""
    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()


def load_npy(data: bytes, where: str) -> np.ndarray:
    """The array of ``.npy`` bytes (no pickles); errors name ``where``."""
    try:
        return np.load(io.BytesIO(data), allow_pickle=False)
    except (OSError, ValueError, EOFError) as error:
        raise OSError(f'{where!r} is not a readable .npy member: '
                      f'{error}') from error


def scan_latent_shard(tar: tarfile.TarFile) -> List[dict]:
    """The items of an open latent shard: ``key``, ``offset``, ``size`` of
    the ``.npy`` bytes and ``label`` (``None`` without a ``.cls``)."""
    arrays, labels = {}, {}
    for member in tar:
        if not member.isfile():
            continue
        key, ext = split_member_name(member.name)
        if ext == MOMENTS_EXTENSION:
            arrays[key] = dict(key=key, offset=member.offset_data,
                               size=member.size)
        elif ext == 'cls':
            labels[key] = int(tar.extractfile(member).read().decode())
    return [dict(item, label=labels.get(key)) for key, item in arrays.items()]


def write_latent_shards(records: Iterable[LatentRecord], out_dir: str,
                        items_per_shard: int = 1000,
                        meta: Optional[dict] = None) -> int:
    """Tar shards ``shard-000000.tar`` ... of ``<index>.npy`` moments with
    ``<index>.cls`` labels, their ``index.json`` and ``latents.json``
    (``meta`` and the moments' shape and dtype); returns the items
    written."""
    first = []

    def members():
        for record in records:
            first[:] = first or [record.moments]
            yield npy_bytes(record.moments), MOMENTS_EXTENSION, record.label

    written = write_shard_members(members(), out_dir, items_per_shard)
    shape = first and dict(shape=list(first[0].shape),
                           dtype=str(first[0].dtype))
    with open(osp.join(out_dir, META_FILE), 'w', encoding='utf-8') as f:
        json.dump(dict(meta or {}, count=written, moments=shape or None), f,
                  indent=1)
    return written


@DATASETS.register_module()
class LatentShardDataset(TarShardDataset):
    """VAE latent moments stored in tar shards, read by offset when sampled.

    Items hold ``img_key``, ``gt_label`` where the shards carry labels, and
    after the default pipeline (:class:`LoadLatentMoments`,
    :class:`PackLatentInputs`) become ``dict(inputs=dict(img=<(2C, h, w)
    float tensor>, labels=...))``: the moments that the data preprocessor
    (with ``latents``) turns into normalised latents.

    Args:
        data_root: Folder of the shards (``tools/encode_latents.py``'s
            output; local or any mmengine backend).
        pipeline: Transforms; ``None`` means the two above.
        **kwargs: Passed to :class:`~mmcm.datasets.TarShardDataset`.
    """

    def __init__(self, data_root: str = '',
                 pipeline: Optional[Sequence] = None, **kwargs):
        if pipeline is None:
            pipeline = [LoadLatentMoments(), PackLatentInputs()]
        super().__init__(data_root=data_root, pipeline=pipeline, **kwargs)

    @property
    def latents_meta(self) -> dict:
        """What ``latents.json`` records (``{}`` where there is none)."""
        path = self.shard_path(META_FILE)
        if not fileio.exists(path, backend_args=self.backend_args):
            return {}
        return json.loads(fileio.get_text(path,
                                          backend_args=self.backend_args))

    @staticmethod
    def scan_tar(tar: tarfile.TarFile) -> List[dict]:
        return scan_latent_shard(tar)


@TRANSFORMS.register_module()
class LoadLatentMoments(BaseTransform):
    """Decode ``results['img_bytes']`` (an ``.npy`` member) into
    ``results['img']``, a ``(2C, h, w)`` float array in its stored dtype.
    A member that does not decode raises an error naming it."""

    def transform(self, results: dict) -> dict:
        where = results.get('img_key', '<latents>')
        moments = load_npy(results.pop('img_bytes'), where)
        if moments.ndim != 3 or moments.dtype.kind != 'f':
            raise OSError(f'{where!r}: expected (2C, h, w) float moments, '
                          f'got {moments.dtype} {moments.shape}')
        results['img'] = moments
        results['img_shape'] = moments.shape[1:]
        return results


@TRANSFORMS.register_module()
class PackLatentInputs(BaseTransform):
    """Pack moments as ``dict(inputs=dict(img=<float (2C, h, w) tensor>,
    labels=<0-d int64>))`` for ``default_collate``.

    Args:
        label_key: Key of the class index in ``results``.
    """

    def __init__(self, label_key: str = 'gt_label'):
        super().__init__()
        self.label_key = label_key

    def transform(self, results: dict) -> dict:
        inputs = dict(img=torch.from_numpy(
            np.ascontiguousarray(results['img'])))
        label = results.get(self.label_key)
        if label is not None:
            inputs['labels'] = torch.as_tensor(label, dtype=torch.int64)
        return dict(inputs=inputs)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(label_key={self.label_key!r})'


__all__ = ['LatentRecord', 'LatentShardDataset', 'LoadLatentMoments',
           'PackLatentInputs', 'MOMENTS_DTYPES', 'load_npy', 'npy_bytes',
           'scan_latent_shard', 'write_latent_shards']
