"""Post-hoc EMA through the runner: snapshots, resume and reconstruction."""
import os.path as osp
import sys
from types import SimpleNamespace

import pytest
import torch
from mmengine import Config
from mmengine.logging import MessageHub
from mmengine.runner import Runner

from mmcm.apis import init_model
from mmcm.engine import PostHocEMASnapshotHook
from mmcm.models.posthoc_ema import std_to_exponent
from mmcm.registry import MODELS
from ..conftest import REPO

sys.path.insert(0, osp.join(REPO, 'tools'))
import reconstruct_posthoc_ema  # noqa: E402

RECIPE = osp.join(REPO, 'configs', 'consistency_models', 'train',
                  'cm-ct_adm-unet_1xb32-1k_digits-16x16.py')
# What a user writes: the recipe with power-function EMAs instead of its
# EMA decay, and the snapshot hook beside the averages hook.
CONFIG = f"""
_base_ = ['{RECIPE}']
model = dict(
    network=dict(num_res_blocks=1, channel_mult=(1, 2)),
    training=dict(
        averages=dict(_delete_=True, posthoc_stds=(0.05, 0.1))))
custom_hooks = [
    dict(type='ConsistencyAveragesHook'),
    dict(type='ResumeStateHook'),
    dict(type='PostHocEMASnapshotHook', interval=2),
]
"""
STDS = (0.05, 0.1)


def config(tmp_path, work_dir, iterations):
    path = tmp_path / 'phema_digits.py'
    path.write_text(CONFIG)
    cfg = Config.fromfile(str(path))
    cfg.work_dir = str(work_dir)
    cfg.train_dataloader.batch_size = 4
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=iterations)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=2,
                                        by_epoch=False)
    cfg.log_level = 'WARNING'
    return cfg


def snapshot(work_dir, step, std):
    path = osp.join(work_dir, 'phema', f'phema-{step:07d}-{std:.3f}.pt')
    return torch.load(path, weights_only=True)


def assert_same(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key, value in a.items():
        assert torch.equal(value, b[key]), key


@pytest.fixture(scope='module')
def runs(tmp_path_factory):
    """Four iterations resumed to six, and six straight."""
    tmp = tmp_path_factory.mktemp('phema')
    resumed, straight = tmp / 'resumed', tmp / 'straight'
    Runner.from_cfg(config(tmp, resumed, 4)).train()
    cfg = config(tmp, resumed, 6)
    cfg.resume, cfg.load_from = True, str(resumed / 'iter_4.pth')
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 6 and int(runner.model.ema.step) == 6
    Runner.from_cfg(config(tmp, straight, 6)).train()
    MessageHub.get_current_instance().update_info('iter', 0)
    return SimpleNamespace(tmp=tmp, resumed=resumed, straight=straight,
                           model=runner.model)


def test_snapshots_match_the_checkpoints(runs):
    checkpoint = torch.load(runs.resumed / 'iter_4.pth', weights_only=False)
    state = checkpoint['state_dict']
    assert int(state['ema.step']) == 4
    for index, std in enumerate(STDS):
        for step in (2, 4, 6):
            saved = snapshot(runs.resumed, step, std)  # weights_only
            assert saved['step'] == step and saved['std'] == std
            assert saved['gamma'] == pytest.approx(std_to_exponent(std))
        prefix = f'ema.networks.{index}.'
        assert_same(snapshot(runs.resumed, 4, std)['state_dict'],
                    {k[len(prefix):]: v for k, v in state.items()
                     if k.startswith(prefix)})


def test_resumed_run_snapshots_as_an_uninterrupted_one(runs):
    for std in STDS:
        assert_same(snapshot(runs.resumed, 6, std)['state_dict'],
                    snapshot(runs.straight, 6, std)['state_dict'])


def test_cli_rebuilds_a_state_dict_that_loads(runs, capsys):
    folder, out = str(runs.resumed / 'phema'), runs.tmp / 'rebuilt.pt'
    assert reconstruct_posthoc_ema.main(
        [folder, '--std', '0.075', '--out', str(out)]) == 0
    assert 'from 6 snapshots' in capsys.readouterr().out
    state = torch.load(out, weights_only=True)
    sampler = init_model(config(runs.tmp, runs.resumed, 6), str(out))
    assert_same(sampler.unet.state_dict(), state)  # strictly loaded
    # A stored std at a stored step gives that EMA back.
    assert reconstruct_posthoc_ema.main(
        [folder, '--std', '0.1', '--step', '6', '--out', str(out)]) == 0
    ema = runs.model.ema.networks[1].state_dict()
    rebuilt = torch.load(out, weights_only=True)
    for key, value in ema.items():
        torch.testing.assert_close(rebuilt[key], value, rtol=0, atol=1e-6)


def test_cli_errors(runs, tmp_path, capsys):
    folder, out = str(runs.resumed / 'phema'), str(tmp_path / 'x.pt')
    assert reconstruct_posthoc_ema.main(
        [folder, '--std', '0.075', '--step', '5', '--out', out]) == 1
    assert 'no snapshot step' in capsys.readouterr().err
    assert reconstruct_posthoc_ema.main(
        [str(tmp_path), '--std', '0.075', '--out', out]) == 1
    assert 'no phema-*.pt snapshots' in capsys.readouterr().err


def test_hook_needs_power_function_emas():
    network = dict(type='ADMUNet', image_size=8, in_channels=1,
                   out_channels=1, model_channels=32, num_res_blocks=1,
                   attention_resolutions=(), channel_mult=(1, ),
                   num_head_channels=32)
    model = MODELS.build(dict(
        type='ConsistencyModel', network=network,
        parameterisation=dict(type='EDMParameterisation'),
        training=dict(objective=dict(type='EDMObjective'))))
    with pytest.raises(TypeError, match='posthoc_stds'):
        PostHocEMASnapshotHook(interval=2).before_train(
            SimpleNamespace(model=model))
