"""tools/test.py, dist_test.sh and two_step_search.py on the digits model."""
import importlib.util
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest

from mmcm.apis import evaluate_model, init_model, ternary_search
from mmcm.evaluation import FrechetInceptionDistance, save_statistics
from ..conftest import REPO, free_port

CONFIG = osp.join(REPO, 'configs', 'consistency_models', 'digits',
                  'cm-ct_adm-unet_1step_digits-16x16.py')
CHECKPOINT = osp.join(REPO, 'checkpoints', 'cm-ct_digits-16x16.pt')
NUM = 6


def _tool(name):
    spec = importlib.util.spec_from_file_location(
        name, osp.join(REPO, 'tools', f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def reference(tmp_path_factory):
    """2048-d reference statistics in the official npz layout."""
    rng = np.random.default_rng(5)
    feats = np.abs(rng.normal(size=(64, 2048))) * 0.3
    path = str(tmp_path_factory.mktemp('ref') / 'VIRTUAL_digits.npz')
    save_statistics(path, feats.mean(0), np.cov(feats, rowvar=False))
    return path


@pytest.fixture(scope='module')
def single_run(tmp_path_factory, reference):
    out = str(tmp_path_factory.mktemp('single') / 'metrics.json')
    _tool('test').main([
        CONFIG, CHECKPOINT, '--num-samples', str(NUM), '--batch-size', '4',
        '--metrics', 'FID', '--reference', reference, '--out', out,
        '--work-dir', osp.dirname(out)])
    with open(out) as f:
        return json.load(f)


def test_one_command_gives_the_fid_of_the_checkpoint(single_run, reference):
    assert single_run['num_samples'] == NUM
    assert single_run['sampling']['sampler'] == 'onestep'
    assert list(single_run['metrics']) == ['FID']
    model = init_model(CONFIG, CHECKPOINT)
    metric = FrechetInceptionDistance(reference=reference, device='cpu')
    direct = evaluate_model(model, [metric], NUM, batch_size=NUM,
                            balanced_labels=True, progress=False)
    assert single_run['metrics']['FID'] == pytest.approx(direct['FID'],
                                                         rel=1e-4)


def test_two_processes_give_the_same_fid(tmp_path, single_run, reference):
    out = str(tmp_path / 'metrics.json')
    env = dict(os.environ, PYTHONPATH=REPO, OMP_NUM_THREADS='1',
               PYTHON=sys.executable, PORT=free_port())
    run = subprocess.run(
        ['bash', osp.join(REPO, 'tools', 'dist_test.sh'), CONFIG,
         CHECKPOINT, '2', '--num-samples', str(NUM), '--batch-size', '2',
         '--metrics', 'FID', '--reference', reference, '--out', out,
         '--work-dir', str(tmp_path)],
        env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    with open(out) as f:
        result = json.load(f)
    assert result['world_size'] == 2
    assert result['metrics']['FID'] == pytest.approx(
        single_run['metrics']['FID'], rel=1e-4)


def test_config_without_evaluation_is_refused(tiny_config, tiny_checkpoint):
    with pytest.raises(ValueError, match='_base_/evaluation'):
        _tool('test').main([tiny_config, tiny_checkpoint])


def test_ternary_search_finds_the_minimum_with_few_evaluations():
    calls = []

    def score(index):
        calls.append(index)
        return (index - 13) ** 2 + 0.5 * index

    assert ternary_search(score, 1, 38) == 13
    assert len(calls) == len(set(calls)) < 20
    assert ternary_search(lambda i: -i, 4, 4) == 4
    with pytest.raises(ValueError, match='empty'):
        ternary_search(score, 5, 4)


def test_two_step_search_tool(tmp_path, reference):
    out = str(tmp_path / 'search.json')
    result = _tool('two_step_search').main([
        CONFIG, CHECKPOINT, '--reference', reference, '--num-samples', '4',
        '--steps', '6', '--device', 'cpu', '--out', out])
    scores = {int(k): v for k, v in result['scores'].items()}
    assert set(scores) <= {1, 2, 3, 4} and len(scores) >= 3
    best = min(scores, key=scores.get)
    assert result['ts'] == [0, best, 5]
    assert result['fid'] == scores[best]
    with open(out) as f:
        assert json.load(f)['ts'] == [0, best, 5]


def test_small_data_metrics_of_the_bundled_model(tmp_path, monkeypatch,
                                                 digits_mmcm_home):
    """``--metrics SD``: the digits config's classifier-based metrics."""
    # its classifier cache, shared with the session's other digits tests
    monkeypatch.setenv('MMCM_HOME', digits_mmcm_home)
    # a tool that ignored MMCM_HOME would write under ~/.cache/mmcm
    monkeypatch.setenv('HOME', str(tmp_path / 'home'))
    out = str(tmp_path / 'metrics.json')
    _tool('test').main([
        CONFIG, CHECKPOINT, '--num-samples', '100', '--batch-size', '50',
        '--metrics', 'SD', '--out', out, '--work-dir', str(tmp_path)])
    with open(out) as f:
        metrics = json.load(f)['metrics']
    assert set(metrics) == {'FD', 'CS', 'accuracy', 'coverage',
                            'variance_ratio', 'copy_rate'}
    assert metrics['accuracy'] > 0.8 and metrics['copy_rate'] < 0.05
    assert 0.5 < metrics['variance_ratio'] < 1.5  # neither blur nor grain
    assert len(os.listdir(osp.join(digits_mmcm_home, 'classifiers'))) == 1
    assert not (tmp_path / 'home' / '.cache' / 'mmcm').exists()
    with pytest.raises(ValueError, match='SmallDataMetrics needs'):
        _tool('test').main([
            osp.join(REPO, 'configs', 'consistency_models',
                     'cd-lpips_adm-unet_2step_imagenet-64x64.py'), CHECKPOINT,
            '--metrics', 'SD', '--work-dir', str(tmp_path)])
