"""Fréchet Inception Distance of generated images against reference stats."""
import os.path as osp
from typing import Iterable, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from torch import nn

from mmcm.registry import METRICS
from mmcm.utils.functional import quantize_uint8
from .base import InceptionMetric
from .reference import ReferenceSet
from .statistics import FeatureStatistics, frechet_distance, load_statistics

Stats = Union[str, Tuple[np.ndarray, np.ndarray]]


def as_nchw(images) -> torch.Tensor:
    """A batch as an ``(N, 3, H, W)`` tensor; NHWC arrays (``arr_0``) too."""
    if not torch.is_tensor(images):
        images = torch.from_numpy(np.asarray(images))
    if images.ndim == 4 and images.shape[1] != 3 and images.shape[-1] == 3:
        images = images.permute(0, 3, 1, 2)
    return images


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
class FrechetInceptionDistance(InceptionMetric):
    """FID of the images a model generates during ``test``/``val``.

    Images are turned into Inception features batch by batch and only
    feature statistics are kept (one :class:`FeatureStatistics` per rank,
    merged in ``compute_metrics``): memory does not grow with the number of
    samples. Use at least 2048 samples for a full-rank covariance; the
    paper's numbers use 50,000.

    Args:
        reference: A reference set (see :mod:`mmcm.evaluation.reference`):
            an ``.npz`` with ``mu``/``sigma`` such as an official reference
            batch, an images-only ``.npz``, an image folder or a dataset
            config, whose statistics are computed once and cached.
        cache_dir: Cache of computed reference statistics.
        reference_batch_size: Images per extractor call for the reference.
        num_reference: Use the first ``num_reference`` reference images
            (when statistics are computed from images).
        method: Matrix square root of :func:`frechet_distance`.
        **kwargs: :class:`InceptionMetric` arguments.
    """

    def __init__(self,
                 reference: Union[str, dict],
                 cache_dir: Optional[str] = None,
                 reference_batch_size: int = 64,
                 num_reference: Optional[int] = None,
                 method: str = 'eigh',
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if isinstance(reference, str) and not osp.exists(reference):
            raise FileNotFoundError(f'FID reference statistics not found: '
                                    f'{reference}')
        self.reference = reference
        self.cache_dir = cache_dir
        self.reference_batch_size = reference_batch_size
        self.num_reference = num_reference
        self.method = method

    def reference_statistics(self) -> Tuple[np.ndarray, np.ndarray]:
        """``(mu, sigma)`` of the reference set (computed at most once)."""
        return ReferenceSet(self.reference, self.extractor, self.cache_dir,
                            self.reference_batch_size,
                            self.num_reference).statistics()

    def process(self, data_batch, data_samples: Sequence) -> None:
        """Add the features of this batch's generated images to the stats."""
        if not self.results:
            self.results.append(FeatureStatistics())
        self.results[0].update(self.batch_features(data_samples))

    def compute_metrics(self, results: list) -> dict:
        """Merge the per-rank statistics and compare with the reference."""
        stats = FeatureStatistics()
        for part in results:
            stats.merge(part)
        mu, sigma = self.reference_statistics()
        return {'FID': frechet_distance(stats.mu, stats.sigma, mu, sigma,
                                        method=self.method)}
