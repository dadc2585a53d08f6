"""One meaning of ``$MMCM_HOME``: the root of mmcm's caches."""
import os.path as osp

import torch

from mmcm.utils.paths import (checkpoint_cache_dir, fid_reference_cache_dir,
                              mmcm_home)


def test_mmcm_home_is_the_root_of_every_cache(monkeypatch, tmp_path):
    monkeypatch.setenv('MMCM_HOME', str(tmp_path))
    assert mmcm_home() == str(tmp_path)
    assert checkpoint_cache_dir() == osp.join(str(tmp_path), 'checkpoints')
    assert fid_reference_cache_dir() == osp.join(str(tmp_path),
                                                 'fid_reference')


def test_defaults_without_mmcm_home(monkeypatch):
    monkeypatch.delenv('MMCM_HOME', raising=False)
    assert mmcm_home() == osp.join(osp.expanduser('~'), '.cache', 'mmcm')
    assert checkpoint_cache_dir() == osp.join(torch.hub.get_dir(),
                                              'checkpoints')
