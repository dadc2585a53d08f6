import math

import numpy as np
import pytest
import torch
from mmagic.structures import DataSample
from torch import nn

from mmcm.evaluation import (FeatureStatistics, FrechetInceptionDistance,
                             fid_from_images, frechet_distance,
                             load_statistics, save_statistics)
from mmcm.registry import METRICS

# A full 2048-d matrix square root takes about a minute on two CPU cores,
# so these tests compare the first DIM pool features; the FID code is the
# same for any dimension.
DIM = 16


class FirstFeatures(nn.Module):
    """The real Inception features, cut to their first ``DIM``."""

    def __init__(self, inception):
        super().__init__()
        self.inception = inception

    def forward(self, images):
        return self.inception(images)[:, :DIM]


@pytest.fixture(scope='module')
def extractor(inception):
    return FirstFeatures(inception)


@pytest.fixture(scope='module')
def fake_imgs():
    """Four generated images as ConsistencyModel returns: float [0, 255]."""
    generator = torch.Generator().manual_seed(1)
    return torch.rand(4, 3, 16, 16, generator=generator) * 255


@pytest.fixture(scope='module')
def fake_features(extractor, fake_imgs):
    """Features of the images after the official uint8 truncation."""
    return extractor(fake_imgs.to(torch.uint8)).numpy()


@pytest.fixture(scope='module')
def reference(tmp_path_factory):
    rng = np.random.default_rng(0)
    features = np.abs(rng.normal(size=(50, DIM)))
    path = str(tmp_path_factory.mktemp('fid') / 'reference.npz')
    save_statistics(path, features.mean(0), np.cov(features, rowvar=False))
    return path


def test_metric_streams_batches_and_computes_fid(extractor, fake_imgs,
                                                 fake_features, reference):
    metric = METRICS.build(
        dict(type='FrechetInceptionDistance', reference=reference,
             extractor=extractor, prefix='cm'))
    assert isinstance(metric, FrechetInceptionDistance)
    samples = [DataSample(fake_img=image).to_dict() for image in fake_imgs]
    metric.process({}, samples[:3])
    metric.process({}, samples[3:])
    assert len(metric.results) == 1 and metric.results[0].count == 4
    # Float32 convolutions may round differently for another batch size.
    np.testing.assert_allclose(metric.results[0].mu, fake_features.mean(0),
                               rtol=1e-5, atol=1e-6)
    fid = metric.compute_metrics(metric.results)['FID']
    assert math.isfinite(fid) and fid > 0
    expected = frechet_distance(fake_features.mean(0),
                                np.cov(fake_features, rowvar=False),
                                *load_statistics(reference))
    assert fid == pytest.approx(expected, rel=1e-4)


def test_fid_of_a_set_against_its_own_statistics_is_zero(
        extractor, fake_imgs, fake_features):
    stats = FeatureStatistics().update(fake_features)
    # Uneven batches, float NCHW and uint8 NHWC (as in arr_0) mixed.
    batches = [fake_imgs[:1],
               fake_imgs[1:].to(torch.uint8).permute(0, 2, 3, 1).numpy()]
    fid = fid_from_images(batches, (stats.mu, stats.sigma), extractor)
    assert abs(fid) < 1e-3


def test_missing_reference_is_reported(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.npz'):
        FrechetInceptionDistance(reference=str(tmp_path / 'nope.npz'))
