"""Quality of samples of a small labelled data set, by its own classifier.

:class:`SmallDataMetrics` judges generated images with a
:class:`~mmcm.evaluation.classifier.SmallClassifier` trained on the data
set's training split, against a held-out split that neither the classifier
nor the generative model was trained on:

- ``FD``: Frechet distance of the classifier's penultimate features
  (the FID formula, in a space that knows the data);
- ``CS``: classifier score, the Inception Score formula with the
  classifier's class probabilities (high: confident and diverse);
- ``accuracy``: share of samples classified as the class requested
  (class-conditional models);
- ``coverage``: ``1 - TV`` between the histogram of predicted classes of
  the samples and the class histogram they should have: that of the
  requested labels, or of the training split for unconditional samples
  (1: every class as often as asked for);
- ``variance_ratio``: mean energy of the Laplacian (high-pass) of sample
  images over that of held-out images: below 1 means blurrier than the
  data, above 1 grainier;
- ``copy_rate``: share of samples whose nearest training image is closer
  than ``copy_threshold`` times the median nearest-training distance of
  held-out images (memorisation).
"""
from typing import Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.evaluator import BaseMetric

from mmcm.registry import METRICS
from mmcm.utils.functional import quantize_uint8
from .base import fake_image, in_index_order, sample_field, sample_indices
from .classifier import classifier_for, dataset_arrays
from .inception_score import inception_score
from .statistics import frechet_distance

LAPLACIAN = torch.tensor([[0., 1., 0.], [1., -4., 1.], [0., 1., 0.]])


def laplacian_energy(pixels: torch.Tensor) -> float:
    """Mean squared response of the 3x3 Laplacian over images in [0, 1]."""
    x = pixels.float() / 255
    kernel = LAPLACIAN.to(x).expand(x.shape[1], 1, 3, 3)
    return float(F.conv2d(x, kernel, groups=x.shape[1]).pow(2).mean())


def nearest_distances(queries: torch.Tensor, keys: torch.Tensor,
                      block: int = 1024) -> torch.Tensor:
    """L2 distance of each query image to its nearest key image."""
    q, k = queries.flatten(1).double(), keys.flatten(1).double()
    return torch.cat([torch.cdist(q[i:i + block], k).min(dim=1).values
                      for i in range(0, len(q), block)])


def class_histogram(predicted: np.ndarray, num_classes: int) -> np.ndarray:
    return np.bincount(predicted, minlength=num_classes) / len(predicted)


@METRICS.register_module()
class SmallDataMetrics(BaseMetric):
    """Classifier-based quality of generated images (see the module).

    Args:
        train_set: Dataset config of the training split (with labels): the
            classifier learns it; copies are sought in it.
        reference: Dataset config of the held-out split.
        num_classes: Classes of the data set.
        classifier: Options of :func:`classifier_for` (``seed``,
            ``epochs``, ``width``, ``feature_dim``, ...).
        copy_threshold: Fraction of the held-out median distance below
            which a sample counts as a copy.
        cache_dir: Cache of trained classifiers.
        fake_key: Field of the data samples holding the images.
        collect_device, prefix, collect_dir: See ``BaseMetric``.
    """

    default_prefix = None

    def __init__(self, train_set: dict, reference: dict, num_classes: int,
                 classifier: Optional[dict] = None,
                 copy_threshold: float = 0.5,
                 cache_dir: Optional[str] = None,
                 fake_key: str = 'fake_img',
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 collect_dir: Optional[str] = None) -> None:
        super().__init__(collect_device, prefix, collect_dir)
        if train_set.get('split') and \
                train_set.get('split') == reference.get('split'):
            raise ValueError('the reference must be a held-out split, not '
                             f'the training split {train_set["split"]!r}')
        self.train_set, self.reference = dict(train_set), dict(reference)
        self.num_classes = num_classes
        self.classifier_options = dict(classifier or {})
        self.copy_threshold = copy_threshold
        self.cache_dir = cache_dir
        self.fake_key = fake_key
        self._reference_side: Optional[dict] = None

    def process(self, data_batch, data_samples: Sequence) -> None:
        """Keep ``(sample indices, uint8 images, requested labels)``."""
        images = quantize_uint8(torch.stack(
            [fake_image(s, self.fake_key) for s in data_samples]))
        labels = [_label_of(s) for s in data_samples]
        requested = (None if None in labels else
                     np.asarray(labels, np.int64)[:, None])
        self.results.append((sample_indices(data_samples), images.numpy(),
                             requested))

    def compute_metrics(self, results: list) -> dict:
        images = torch.from_numpy(in_index_order(
            [(known, rows) for known, rows, _ in results]))
        requested = None
        if all(part[2] is not None for part in results):
            requested = in_index_order(
                [(known, labels) for known, _, labels in results])[:, 0]
        return self.scores(images, requested)

    @torch.no_grad()
    def scores(self, images: torch.Tensor,
               requested: Optional[np.ndarray] = None) -> dict:
        """All metrics of uint8 ``(N, C, H, W)`` images."""
        ref = self.reference_side()
        classifier, real_features = ref['classifier'], ref['real_features']
        fake_features = classifier.features(images).double().numpy()
        probs = F.softmax(classifier.head(torch.from_numpy(
            fake_features).float()).double(), dim=1).numpy()
        predicted = probs.argmax(1)
        wanted = ref['train_labels'].numpy() if requested is None \
            else requested
        scores = dict(
            FD=frechet_distance(fake_features.mean(0),
                                np.cov(fake_features, rowvar=False),
                                real_features.mean(0),
                                np.cov(real_features, rowvar=False)),
            CS=inception_score(probs, split_size=len(probs)),
            coverage=1 - 0.5 * float(np.abs(
                class_histogram(predicted, self.num_classes) -
                class_histogram(wanted, self.num_classes)).sum()),
            variance_ratio=laplacian_energy(images) / ref['real_energy'],
            copy_rate=self._copy_rate(images, ref))
        if requested is not None:
            scores['accuracy'] = float((predicted == requested).mean())
        return scores

    @torch.no_grad()
    def reference_side(self) -> dict:
        """The classifier, the training split and what the held-out split
        gives, computed on the first call and kept by this metric."""
        if self._reference_side is None:
            train, train_labels = dataset_arrays(self.train_set)
            real, _ = dataset_arrays(self.reference)
            classifier = classifier_for(
                self.train_set, self.num_classes, self.cache_dir,
                arrays=(train, train_labels), **self.classifier_options)
            self._reference_side = dict(
                classifier=classifier, train=train, train_labels=train_labels,
                real_features=classifier.features(real).double().numpy(),
                real_energy=laplacian_energy(real),
                typical_distance=float(nearest_distances(real, train)
                                       .median()))
        return self._reference_side

    def _copy_rate(self, images, ref: dict) -> float:
        nearest = nearest_distances(images, ref['train'])
        threshold = self.copy_threshold * ref['typical_distance']
        return float((nearest < threshold).double().mean())


def _label_of(sample) -> Optional[int]:
    """The class a sample was generated for (its ``gt_label``), if any."""
    label = sample_field(sample, 'gt_label')
    if label is None:
        return None
    if isinstance(label, dict):
        label = label.get('label')
    elif hasattr(label, 'label'):
        label = label.label
    return int(torch.as_tensor(label).reshape(-1)[0])
