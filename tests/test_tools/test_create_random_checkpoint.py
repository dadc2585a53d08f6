import os.path as osp
import sys

import torch

from mmcm.apis import init_model

from ..conftest import REPO, TINY_CONFIG

sys.path.insert(0, osp.join(REPO, 'tools'))
import create_random_checkpoint  # noqa: E402


def test_writes_an_official_format_checkpoint(tmp_path, monkeypatch):
    out = tmp_path / 'random.pt'
    monkeypatch.setattr(sys, 'argv', ['x', TINY_CONFIG, str(out), '--seed',
                                      '3'])
    create_random_checkpoint.main()
    state = torch.load(out, weights_only=True)
    model = init_model(TINY_CONFIG, str(out))
    assert state.keys() == model.unet.state_dict().keys()
    # zero-initialised output layers got random values
    assert state['out.2.weight'].abs().sum() > 0
