import numpy as np
import pytest
import torch

from mmcm.evaluation import (InceptionScore, class_probabilities,
                             find_softmax_weights, inception_score,
                             load_softmax_weights)
from mmcm.registry import METRICS


def _direct_is(probs, split_size):
    """The evaluator's loop written out with plain NumPy."""
    scores = []
    for i in range(0, len(probs), split_size):
        part = probs[i:i + split_size]
        py = np.mean(part, axis=0)
        kl = np.sum(part * (np.log(part) - np.log(py)), axis=1)
        scores.append(np.exp(np.mean(kl)))
    return np.mean(scores)


def _probs(seed, num=30, classes=12):
    logits = np.random.default_rng(seed).normal(size=(num, classes)) * 3
    return np.exp(logits) / np.exp(logits).sum(1, keepdims=True)


def test_inception_score_matches_the_evaluator_formula():
    probs = _probs(0)
    assert inception_score(probs, 7) == pytest.approx(_direct_is(probs, 7),
                                                      rel=1e-12)
    assert inception_score(probs, 7) != pytest.approx(
        inception_score(probs, 30), rel=1e-3)


def test_identical_predictions_score_one_and_one_hot_scores_classes():
    same = np.tile(_probs(1, num=1), (10, 1))
    assert inception_score(same) == pytest.approx(1.0, abs=1e-12)
    # Confident and evenly spread over 4 classes: exp(log 4) = 4.
    one_hot = np.full((8, 4), 1e-12)
    one_hot[np.arange(8), np.arange(8) % 4] = 1
    assert inception_score(one_hot) == pytest.approx(4.0, rel=1e-6)


def _weights(tmp_path, fmt):
    rng = np.random.default_rng(2)
    matrix = rng.normal(size=(1008, 2048)).astype(np.float32) * 0.05
    if fmt == 'pth':  # pytorch-fid's layout: fc.weight (1008, 2048) + bias
        path = str(tmp_path / 'pt_inception-2015-12-05-6726825d.pth')
        torch.save({'fc.weight': torch.from_numpy(matrix),
                    'fc.bias': torch.zeros(1008),
                    'Conv2d_1a_3x3.conv.weight': torch.zeros(32, 3, 3, 3)},
                   path)
    else:  # the TF graph's own orientation (2048, 1008)
        path = str(tmp_path / 'softmax.npz')
        np.savez(path, softmax_weights=matrix.T)
    return path, matrix.T.astype(np.float64)


@pytest.mark.parametrize('fmt', ['pth', 'npz'])
def test_softmax_weights_load_in_either_orientation(tmp_path, fmt):
    path, expected = _weights(tmp_path, fmt)
    weights = load_softmax_weights(path)
    assert weights.shape == (2048, 1008)
    np.testing.assert_array_equal(weights, expected)


def test_file_without_the_layer_is_rejected(tmp_path):
    path = str(tmp_path / 'other.pth')
    torch.save({'fc.weight': torch.zeros(10, 2048)}, path)
    with pytest.raises(ValueError, match='1008 x 2048'):
        load_softmax_weights(path)


def test_missing_weights_say_where_to_put_them(tmp_path, monkeypatch):
    monkeypatch.setenv('MMCM_HOME', str(tmp_path))
    monkeypatch.setattr(torch.hub, 'get_dir', lambda: str(tmp_path / 'hub'))
    with pytest.raises(FileNotFoundError,
                       match='pt_inception-2015-12-05-6726825d.pth'):
        find_softmax_weights()
    with pytest.raises(FileNotFoundError):
        METRICS.build(dict(type='InceptionScore'))


class Features(torch.nn.Module):
    """Deterministic 2048-d "features" of an image: its pixels, tiled."""

    def forward(self, images):
        flat = images.float().reshape(len(images), -1) / 255
        return flat.repeat(1, 2048 // flat.shape[1] + 1)[:, :2048]


def test_metric_scores_in_sample_index_order(tmp_path):
    path, weights = _weights(tmp_path, 'pth')
    metric = InceptionScore(softmax_weights=path, split_size=3,
                            extractor=Features())
    images = torch.rand(7, 3, 4, 4, generator=torch.Generator().manual_seed(
        3)) * 255
    samples = [dict(fake_img=img, sample_index=i)
               for i, img in enumerate(images)]
    order = [5, 0, 3, 6, 1, 4, 2]  # as two ranks would interleave them
    metric.process({}, [samples[i] for i in order[:4]])
    metric.process({}, [samples[i] for i in order[4:]])
    score = metric.compute_metrics(metric.results)['IS']
    features = Features()(images.to(torch.uint8)).numpy()
    probs = class_probabilities(features, weights).astype(np.float32)
    assert score == pytest.approx(_direct_is(probs.astype(np.float64), 3),
                                  rel=1e-6)
    assert isinstance(metric, InceptionScore)
