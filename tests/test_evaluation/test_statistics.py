import numpy as np
import pytest

from mmcm.evaluation import (FeatureStatistics, frechet_distance,
                             load_statistics, save_statistics)


def _psd_sqrt(matrix):
    values, vectors = np.linalg.eigh(matrix)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def _direct_fid(mu1, sigma1, mu2, sigma2):
    # Symmetric form: Tr((s1^1/2 s2 s1^1/2)^1/2) = Tr((s1 s2)^1/2).
    root1 = _psd_sqrt(sigma1)
    cross = np.trace(_psd_sqrt(root1 @ sigma2 @ root1))
    diff = mu1 - mu2
    return diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * cross


def _features(seed, num=200, dim=8):
    rng = np.random.default_rng(seed)
    mixing = rng.normal(size=(dim, dim))
    return rng.normal(size=(num, dim)) @ mixing + rng.normal(size=dim)


def test_frechet_distance_matches_direct_computation():
    f, g = _features(0), _features(1)
    args = (f.mean(0), np.cov(f, rowvar=False), g.mean(0),
            np.cov(g, rowvar=False))
    assert frechet_distance(*args) == pytest.approx(_direct_fid(*args),
                                                    rel=1e-6)


def test_frechet_distance_of_a_set_with_itself_is_zero():
    f = _features(2)
    mu, sigma = f.mean(0), np.cov(f, rowvar=False)
    assert abs(frechet_distance(mu, sigma, mu, sigma)) < 1e-6


def test_frechet_distance_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match='shape'):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(4), np.eye(4))


def test_streaming_over_uneven_batches_equals_one_batch():
    f = _features(3, num=63)
    streamed = FeatureStatistics()
    for chunk in np.split(f, [1, 8, 11, 50, 52]):
        streamed.update(chunk)
    whole = FeatureStatistics().update(f)
    assert streamed.count == whole.count == 63
    np.testing.assert_allclose(streamed.mu, whole.mu, rtol=0, atol=1e-10)
    np.testing.assert_allclose(streamed.sigma, whole.sigma, rtol=0,
                               atol=1e-10)
    np.testing.assert_allclose(whole.mu, f.mean(0), rtol=0, atol=1e-10)
    np.testing.assert_allclose(whole.sigma, np.cov(f, rowvar=False), rtol=0,
                               atol=1e-10)


def test_merge_equals_one_accumulator():
    f = _features(4, num=40)
    left = FeatureStatistics().update(f[:13])
    right = FeatureStatistics().update(f[13:30]).update(f[30:])
    left.merge(right).merge(FeatureStatistics())
    np.testing.assert_allclose(left.sigma, np.cov(f, rowvar=False), rtol=0,
                               atol=1e-10)
    assert left.count == 40


def test_too_few_features_raise():
    stats = FeatureStatistics().update(np.ones((1, 4)))
    np.testing.assert_array_equal(stats.mu, np.ones(4))
    with pytest.raises(ValueError, match='at least 2'):
        _ = stats.sigma


def test_save_and_load_round_trip(tmp_path):
    f = _features(5)
    path = str(tmp_path / 'stats.npz')
    save_statistics(path, f.mean(0), np.cov(f, rowvar=False))
    mu, sigma = load_statistics(path)
    np.testing.assert_array_equal(mu, f.mean(0))
    np.testing.assert_array_equal(sigma, np.cov(f, rowvar=False))


def test_load_official_reference_batch(tmp_path):
    # Layout of VIRTUAL_imagenet64_labeled.npz: images plus pool and
    # spatial statistics, float32 in the released files.
    rng = np.random.default_rng(6)
    path = str(tmp_path / 'VIRTUAL_tiny_labeled.npz')
    mu = rng.normal(size=16).astype(np.float32)
    sigma = np.eye(16, dtype=np.float32)
    np.savez(path, arr_0=rng.integers(0, 256, (4, 8, 8, 3), np.uint8),
             mu=mu, sigma=sigma, mu_s=np.zeros(7, np.float32),
             sigma_s=np.eye(7, dtype=np.float32))
    loaded_mu, loaded_sigma = load_statistics(path)
    assert loaded_mu.dtype == loaded_sigma.dtype == np.float64
    np.testing.assert_array_equal(loaded_mu, mu)
    np.testing.assert_array_equal(loaded_sigma, sigma)


def test_load_without_statistics_names_missing_keys(tmp_path):
    path = str(tmp_path / 'images_only.npz')
    np.savez(path, arr_0=np.zeros((2, 8, 8, 3), np.uint8))
    with pytest.raises(KeyError, match='mu'):
        load_statistics(path)


@pytest.mark.parametrize('method', ['eigh', 'sqrtm'])
def test_both_square_roots_match_the_direct_computation(method):
    f, g = _features(7, num=300, dim=32), _features(8, num=300, dim=32)
    args = (f.mean(0), np.cov(f, rowvar=False), g.mean(0),
            np.cov(g, rowvar=False))
    assert frechet_distance(*args, method=method) == pytest.approx(
        _direct_fid(*args), rel=1e-6)


def test_eigh_agrees_with_sqrtm_for_rank_deficient_covariances():
    # Fewer samples than dimensions, as with a few thousand 2048-d features.
    f, g = _features(9, num=20, dim=40), _features(10, num=25, dim=40)
    args = (f.mean(0), np.cov(f, rowvar=False), g.mean(0),
            np.cov(g, rowvar=False))
    assert frechet_distance(*args) == pytest.approx(
        frechet_distance(*args, method='sqrtm'), rel=1e-5)
    with pytest.raises(ValueError, match='unknown method'):
        frechet_distance(*args, method='svd')
