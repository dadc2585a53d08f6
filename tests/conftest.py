"""Shared fixtures: the tiny config and official-format random checkpoints."""
import os.path as osp
import socket

import pytest
import torch
from mmengine import Config

from mmcm.apis import random_unet_state_dict, register_all_modules

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def free_port() -> str:
    """A TCP port nobody listens on now: each launch gets its own, so no
    run meets the rendezvous of one before it."""
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return str(probe.getsockname()[1])


TINY_CONFIG = osp.join(REPO, 'configs', 'consistency_models', 'tiny',
                       'cm_adm-unet_2step_tiny-32x32.py')
TINY_EDM_CONFIG = osp.join(REPO, 'configs', 'consistency_models', 'tiny',
                           'edm_adm-unet_heun-8step_tiny-32x32.py')
DIGITS_CONFIG = osp.join(REPO, 'configs', 'consistency_models', 'digits',
                         'cm-ct_adm-unet_1step_digits-16x16.py')


@pytest.fixture(scope='session', autouse=True)
def _register():
    register_all_modules()
    torch.set_num_threads(2)


@pytest.fixture(scope='session')
def tiny_config() -> str:
    return TINY_CONFIG


@pytest.fixture(scope='session')
def tiny_state_dict() -> dict:
    return random_unet_state_dict(Config.fromfile(TINY_CONFIG).model.network,
                                  seed=0)


@pytest.fixture(scope='session')
def tiny_checkpoint(tmp_path_factory, tiny_state_dict) -> str:
    """An official-format ``.pt``: a plain UNet state dict."""
    path = tmp_path_factory.mktemp('ckpt') / 'tiny_official.pt'
    torch.save(tiny_state_dict, path)
    return str(path)


@pytest.fixture(scope='session')
def digits_mmcm_home(tmp_path_factory) -> str:
    """One ``$MMCM_HOME`` for the session's digits tests: the small-data
    classifier of the digits configs (some 20 s of training on a CPU) is
    trained once, by whichever test needs it first, into its
    ``classifiers/``, and read from there by the others (in this process
    or, through the variable, in a tool's)."""
    return str(tmp_path_factory.mktemp('mmcm_home'))


@pytest.fixture(scope='session')
def digits_classifier(digits_mmcm_home):
    """The digits configs' small-data classifier: the training split and
    options of their ``SmallDataMetrics``, cached in ``digits_mmcm_home``."""
    pytest.importorskip('sklearn')
    from mmcm.evaluation import classifier_for
    metric = next(m for m in Config.fromfile(DIGITS_CONFIG).test_evaluator
                  if m['type'] == 'SmallDataMetrics')
    return classifier_for(dict(metric['train_set']), metric['num_classes'],
                          osp.join(digits_mmcm_home, 'classifiers'),
                          **metric.get('classifier', {}))
