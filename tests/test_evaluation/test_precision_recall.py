import numpy as np
import pytest
import torch

from mmcm.evaluation import knn_radii, manifold_coverage, precision_recall
from mmcm.registry import METRICS


def _brute_force(ref, gen, k):
    """Kynkäänniemi et al. (2019), one pair of points at a time."""
    def radii(points):
        d = np.linalg.norm(points[:, None] - points[None], axis=-1)
        return np.sort(d, axis=1)[:, k]

    def coverage(points, centres, r):
        d = np.linalg.norm(points[:, None] - centres[None], axis=-1)
        return np.mean((d <= r[None]).any(axis=1))
    return (coverage(gen, ref, radii(ref)), coverage(ref, gen, radii(gen)))


def test_matches_brute_force_and_does_not_depend_on_blocks():
    rng = np.random.default_rng(0)
    ref = rng.normal(size=(60, 5)).astype(np.float32)
    gen = (rng.normal(size=(45, 5)) * 1.3 + 0.4).astype(np.float32)
    expected = _brute_force(ref.astype(np.float64), gen.astype(np.float64),
                            3)
    assert 0 < expected[0] < 1 and 0 < expected[1] < 1
    assert precision_recall(ref, gen, k=3) == pytest.approx(expected)
    assert precision_recall(ref, gen, k=3, block=7) == pytest.approx(
        expected)


def test_identical_sets_have_full_precision_and_recall():
    feats = np.random.default_rng(1).normal(size=(20, 8))
    assert precision_recall(feats, feats) == (1.0, 1.0)


def test_far_apart_sets_have_none():
    feats = np.random.default_rng(2).normal(size=(20, 8))
    assert precision_recall(feats, feats + 100) == (0.0, 0.0)


def test_radii_are_kth_neighbour_distances():
    points = torch.tensor([[0.], [1.], [3.], [7.]])
    assert knn_radii(points, k=1).tolist() == [1., 1., 2., 4.]
    assert knn_radii(points, k=2).tolist() == [3., 2., 3., 6.]
    assert manifold_coverage(torch.tensor([[5.], [12.]]), points,
                             knn_radii(points, k=1)) == 0.5
    with pytest.raises(ValueError, match='more than k=4'):
        knn_radii(points, k=4)


def test_metric_against_reference_features(tmp_path):
    rng = np.random.default_rng(3)
    ref = rng.normal(size=(30, 2048)).astype(np.float32)
    path = str(tmp_path / 'ref.npz')
    np.savez(path, mu=ref.mean(0), sigma=np.cov(ref, rowvar=False),
             features=ref)
    generated = ref[:12] + 0.01

    class Lookup(torch.nn.Module):
        def forward(self, images):  # image i -> generated feature i
            return torch.from_numpy(generated[images[:, 0, 0, 0].long()])

    metric = METRICS.build(dict(type='PrecisionRecall', reference=path,
                                extractor=Lookup()))
    images = torch.zeros(12, 3, 2, 2)
    images[:, 0, 0, 0] = torch.arange(12).float()
    samples = [dict(fake_img=img, sample_index=i)
               for i, img in enumerate(images)]
    metric.process({}, samples[:5])
    metric.process({}, samples[5:])
    result = metric.compute_metrics(metric.results)
    expected = precision_recall(ref, generated)
    assert result == pytest.approx(dict(precision=expected[0],
                                        recall=expected[1]))
    assert result['precision'] == 1.0 and 0 < result['recall'] < 1
