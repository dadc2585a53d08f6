import os.path as osp
import sys

import torch
from mmengine import Config

from mmcm.apis import init_model
from mmcm.registry import MODELS

from ..conftest import REPO, TINY_CONFIG

sys.path.insert(0, osp.join(REPO, 'tools'))
import export_official  # noqa: E402


def test_export_round_trip(tmp_path):
    cfg = Config.fromfile(TINY_CONFIG).model
    trainer = MODELS.build(dict(
        cfg, training=dict(
            objective=dict(type='ConsistencyObjective', distance='l2'),
            averages=dict(ema_decays=(0.9, 0.99)))))
    with torch.no_grad():
        for i, network in enumerate(trainer.ema.networks):
            for p in network.parameters():
                p.add_(i + 1)
    ckpt = tmp_path / 'iter_10.pth'
    torch.save(dict(meta=dict(iter=10), state_dict=trainer.state_dict()),
               ckpt)
    for weights, source in (('ema', trainer.ema.networks[1]),
                            ('online', trainer.unet)):
        out = tmp_path / f'{weights}.pt'
        assert export_official.main([str(ckpt), str(out), '--weights',
                                     weights]) == 0
        state = torch.load(out, weights_only=True)
        expected = source.state_dict()
        assert state.keys() == expected.keys()  # official key names
        assert all(torch.equal(state[k], v) for k, v in expected.items())
        sampler = init_model(TINY_CONFIG, str(out))
        loaded = sampler.unet.state_dict()
        assert all(torch.equal(loaded[k], v) for k, v in expected.items())


def test_export_fp16_and_errors(tmp_path, tiny_checkpoint, capsys):
    out = tmp_path / 'half.pt'
    assert export_official.main([tiny_checkpoint, str(out), '--fp16']) == 0
    state = torch.load(out, weights_only=True)
    assert state['out.2.weight'].dtype == torch.float16
    assert export_official.main([str(tmp_path / 'no.pth'),
                                 str(tmp_path / 'x.pt')]) == 1
    assert 'checkpoint not found' in capsys.readouterr().err
