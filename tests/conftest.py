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
