"""Improved precision and recall (Kynkäänniemi et al., 2019).

Each set of features estimates a manifold: the union of balls centred on
its points with radius the distance to the ``k``-th nearest neighbour
(``k = 3`` as in OpenAI's evaluator). Precision is the fraction of
generated samples inside the reference manifold; recall the fraction of
reference samples inside the generated one (Sec. 3 of "Improved Precision
and Recall Metric for Assessing Generative Models"). Distances are
Euclidean on the ``pool_3`` features, computed in float32 blocks (the
evaluator computes them in float16 first).
"""
from typing import Optional, Sequence, Tuple, Union

import numpy as np
import torch

from mmcm.registry import METRICS
from .base import InceptionMetric, in_index_order, sample_indices
from .reference import ReferenceSet


def pairwise_distances(rows: torch.Tensor,
                       cols: torch.Tensor) -> torch.Tensor:
    """Euclidean distances ``(R, C)`` via ``|u|^2 - 2 u.v + |v|^2``."""
    squared = (rows.square().sum(1, keepdim=True) - 2 * rows @ cols.T +
               cols.square().sum(1)[None])
    return squared.clamp_min(0).sqrt()


def knn_radii(features: torch.Tensor, k: int = 3,
              block: int = 5000) -> torch.Tensor:
    """Distance of each point to its ``k``-th nearest other point."""
    if len(features) <= k:
        raise ValueError(f'need more than k={k} points, have '
                         f'{len(features)}')
    radii = []
    for start in range(0, len(features), block):
        distances = pairwise_distances(features[start:start + block],
                                       features)
        # The point itself is the nearest (distance 0): take the k+1-th.
        radii.append(distances.kthvalue(k + 1, dim=1).values)
    return torch.cat(radii)


def manifold_coverage(points: torch.Tensor, centres: torch.Tensor,
                      radii: torch.Tensor, block: int = 5000) -> float:
    """Fraction of ``points`` inside some ball ``(centre, radius)``."""
    inside = []
    for start in range(0, len(points), block):
        distances = pairwise_distances(points[start:start + block], centres)
        inside.append((distances <= radii[None]).any(dim=1))
    return float(torch.cat(inside).double().mean())


def precision_recall(reference: np.ndarray, generated: np.ndarray,
                     k: int = 3, device: Union[str, torch.device] = 'cpu',
                     block: int = 5000) -> Tuple[float, float]:
    """``(precision, recall)`` of generated against reference features."""
    ref = torch.as_tensor(np.asarray(reference, np.float32), device=device)
    gen = torch.as_tensor(np.asarray(generated, np.float32), device=device)
    precision = manifold_coverage(gen, ref, knn_radii(ref, k, block), block)
    recall = manifold_coverage(ref, gen, knn_radii(gen, k, block), block)
    return precision, recall


@METRICS.register_module()
class PrecisionRecall(InceptionMetric):
    """Improved precision and recall of the generated images.

    Keeps the 2048-d features of every sample (8 kB each, never images)
    and compares them with the features of the reference images, which
    are computed from the reference's images once and cached (an official
    reference batch holds them as ``arr_0``).

    Args:
        reference: A reference set with images or ``features`` (see
            :mod:`mmcm.evaluation.reference`).
        k: Neighbourhood size of the manifold estimate.
        cache_dir: Cache of computed reference features.
        reference_batch_size: Images per extractor call for the reference.
        num_reference: Use the first ``num_reference`` reference images.
        **kwargs: :class:`InceptionMetric` arguments.
    """

    def __init__(self, reference: Union[str, dict], k: int = 3,
                 cache_dir: Optional[str] = None,
                 reference_batch_size: int = 64,
                 num_reference: Optional[int] = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.reference = ReferenceSet(reference, None, cache_dir,
                                      reference_batch_size, num_reference)
        self.k = k

    def process(self, data_batch, data_samples: Sequence) -> None:
        """Keep ``(sample indices, features)`` of this batch."""
        self.results.append((sample_indices(data_samples),
                             self.batch_features(data_samples)))

    def compute_metrics(self, results: list) -> dict:
        self.reference.extractor = self.extractor
        generated = in_index_order(results)
        precision, recall = precision_recall(self.reference.features(),
                                             generated, self.k, self.device)
        return {'precision': precision, 'recall': recall}
