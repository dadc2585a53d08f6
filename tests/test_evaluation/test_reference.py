import os.path as osp

import numpy as np
import pytest
import torch
from PIL import Image

from mmcm.evaluation import ReferenceSet, iter_npz_images


class CountingFeatures(torch.nn.Module):
    """Mean colour per channel and a few pixels: cheap, deterministic."""

    def __init__(self):
        super().__init__()
        self.images_seen = 0

    def forward(self, images):
        self.images_seen += len(images)
        x = images.float()
        return torch.cat([x.mean((2, 3)), x[:, :, :2, :2].flatten(1)], 1)


def _images(num=10, size=8, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, (num, size, size, 3), dtype=np.uint8)


def test_streamed_npz_batches_equal_the_array(tmp_path):
    path = str(tmp_path / 'batch.npz')
    images = _images(11)
    np.savez(path, arr_0=images)
    batches = list(iter_npz_images(path, 4))
    assert [len(b) for b in batches] == [4, 4, 3]
    np.testing.assert_array_equal(np.concatenate(batches), images)


def test_official_batch_gives_its_statistics_without_computing(tmp_path):
    path = str(tmp_path / 'VIRTUAL_tiny.npz')
    mu, sigma = np.arange(3.0, dtype=np.float32), np.eye(3, dtype=np.float32)
    np.savez(path, arr_0=_images(5), mu=mu, sigma=sigma,
             mu_s=np.zeros(2), sigma_s=np.eye(2))
    extractor = CountingFeatures()
    reference = ReferenceSet(path, extractor, cache_dir=str(tmp_path / 'c'))
    got_mu, got_sigma = reference.statistics()
    np.testing.assert_array_equal(got_mu, mu)
    np.testing.assert_array_equal(got_sigma, sigma)
    assert extractor.images_seen == 0
    # Precision/recall needs features: computed from arr_0 once, cached.
    features = reference.features()
    assert features.shape == (5, 15) and extractor.images_seen == 5
    direct = extractor(torch.from_numpy(_images(5)).permute(0, 3, 1, 2))
    np.testing.assert_allclose(features, direct.numpy())
    again = ReferenceSet(path, extractor, cache_dir=str(tmp_path / 'c'))
    np.testing.assert_array_equal(again.features(), features)
    assert extractor.images_seen == 10  # 5 above + 5 direct, none again


def test_images_only_npz_statistics_match_numpy(tmp_path):
    path = str(tmp_path / 'images.npz')
    np.savez(path, arr_0=_images(12))
    extractor = CountingFeatures()
    reference = ReferenceSet(path, extractor, cache_dir=str(tmp_path),
                             batch_size=5, num_images=9)
    mu, sigma = reference.statistics()
    feats = extractor(torch.from_numpy(_images(12)[:9]).permute(0, 3, 1, 2))
    feats = feats.double().numpy()
    np.testing.assert_allclose(mu, feats.mean(0), rtol=1e-6)
    np.testing.assert_allclose(sigma, np.cov(feats, rowvar=False),
                               rtol=1e-5, atol=1e-6)
    assert osp.basename(reference.cache_path()).startswith('images-')


@pytest.mark.parametrize('shape', [(6, 8, 8, 1), (6, 8, 8)])
def test_gray_npz_images_reach_the_extractor_as_nchw(tmp_path, shape):
    gray = _images(6)[..., 0]
    path = str(tmp_path / 'gray.npz')
    np.savez(path, arr_0=gray.reshape(shape))
    extractor = CountingFeatures()
    features = ReferenceSet(path, extractor, cache_dir=str(tmp_path),
                            batch_size=4).features()
    direct = extractor(torch.from_numpy(gray)[:, None])
    assert features.shape == (6, 5)
    np.testing.assert_allclose(features, direct.numpy(), rtol=1e-6)


def test_folder_and_dataset_config_sources(tmp_path):
    folder = tmp_path / 'folder'
    folder.mkdir()
    for i, image in enumerate(_images(4, size=12)):
        Image.fromarray(image).save(folder / f'img_{i}.png')
    extractor = CountingFeatures()
    from_folder = ReferenceSet(str(folder), extractor,
                               cache_dir=str(tmp_path / 'c'), resolution=8)
    assert from_folder.features().shape == (4, 15)
    digits = dict(type='DigitsDataset', image_size=8, channels=3,
                  split='all', pipeline=[dict(type='PackConsistencyInputs')])
    from_dataset = ReferenceSet(digits, extractor, num_images=6,
                                cache_dir=str(tmp_path / 'c'))
    assert from_dataset.features().shape == (6, 15)
    assert from_dataset.cache_path() != from_folder.cache_path()


def test_unusable_references_are_reported(tmp_path):
    with pytest.raises(FileNotFoundError, match='nowhere.npz'):
        ReferenceSet(str(tmp_path / 'nowhere.npz'))
    path = str(tmp_path / 'labels.npz')
    np.savez(path, arr_1=np.zeros(3))
    with pytest.raises(KeyError, match='arr_0'):
        ReferenceSet(path, CountingFeatures(),
                     cache_dir=str(tmp_path)).statistics()
    np.savez(path, arr_0=_images(3))
    with pytest.raises(ValueError, match='pass an extractor'):
        ReferenceSet(path, cache_dir=str(tmp_path)).statistics()
