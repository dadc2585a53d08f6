"""What every image data set here shares: per-process file handles, the
count of images skipped as unreadable, and raw records for conversion.

A data set lists its items at start-up (keys, offsets or rows, never the
pixels) and reads one item when the sampler asks for it. Handles to the
files it reads from (an LMDB environment, open tar shards, memory maps) are
opened on first use in each process, so dataloader workers never share one
across a fork.

An image that does not decode makes the pipeline's
:class:`~mmcm.datasets.LoadImageRGB` return ``None``; mmengine's
``BaseDataset`` then draws another index, and the data set adds one to
:attr:`SkipCountingMixin.skipped`, a counter shared by the main process and
its (forked) workers. :class:`~mmcm.engine.SkippedImagesHook` logs the
count and stores it in every checkpoint's meta.
"""
import logging
import multiprocessing
import os
from typing import Callable, NamedTuple, Optional

from mmengine.logging import print_log


class RawRecord(NamedTuple):
    """One stored item: its key, its encoded bytes (or ``None`` and a
    ``uint8`` HWC array in ``pixels``) and its class index (or ``None``)."""
    key: str
    data: Optional[bytes]
    label: Optional[int]
    pixels: Optional[object] = None


class SharedCounter:
    """An integer that forked dataloader workers add to and the main
    process reads (``multiprocessing.Value``)."""

    def __init__(self):
        self._value = multiprocessing.Value('q', 0)

    def add(self, amount: int = 1) -> None:
        with self._value.get_lock():
            self._value.value += amount

    @property
    def value(self) -> int:
        return int(self._value.value)


class PerProcessHandle:
    """A resource opened lazily once per process (``opener()``).

    After a fork the child opens its own; the parent's is never used there.
    """

    def __init__(self, opener: Callable[[], object]):
        self._opener = opener
        self._pid = None
        self._handle = None

    def get(self):
        if self._pid != os.getpid():
            self._handle, self._pid = self._opener(), os.getpid()
        return self._handle

    def __getstate__(self):  # a spawned worker opens its own
        return dict(_opener=self._opener, _pid=None, _handle=None)


class SkipCountingMixin:
    """Read an item (:meth:`fetch`), run the pipeline, count the items it
    drops as unreadable (``None``).

    Put it before ``BaseDataset`` in the bases and call
    :meth:`_init_skip_counter` in ``__init__``. mmengine's ``__getitem__``
    replaces a dropped item by another random one in training (and raises
    in ``test_mode``, where every item must be read).
    """

    def _init_skip_counter(self) -> None:
        self.skipped = SharedCounter()

    def fetch(self, info: dict) -> None:
        """Add what the pipeline reads to ``info`` (``img_bytes`` or
        ``img``); files named by ``img_path`` are read by the pipeline."""

    def prepare_data(self, idx):
        info = self.get_data_info(idx)
        self.fetch(info)
        data = self.pipeline(info)
        if data is None:
            self.skipped.add()
        return data


def warn_unreadable(where: str, error: Exception) -> None:
    """Log (from any process) that the image at ``where`` was skipped."""
    print_log(f'skipping an unreadable image {where}: '
              f'{type(error).__name__}: {error}', logger='current',
              level=logging.WARNING)


__all__ = ['PerProcessHandle', 'RawRecord', 'SharedCounter',
           'SkipCountingMixin', 'warn_unreadable']
