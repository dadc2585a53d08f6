"""Nothing lost on resume; two gloo processes follow one process."""
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

from mmcm.utils.checkpoint import load_checkpoint_file
from ..conftest import REPO
from .recorder import read_records

CONFIG = osp.join(REPO, 'tests', 'test_engine', 'tiny_digits_ct.py')


def train(work_dir, *options, gpus=None):
    """Run tools/train.py (or dist_train.sh) in a fresh process."""
    env = dict(os.environ, PYTHONPATH=REPO, OMP_NUM_THREADS='1')
    if gpus is None:
        cmd = [sys.executable, osp.join(REPO, 'tools', 'train.py'), CONFIG]
    else:
        cmd = ['bash', osp.join(REPO, 'tools', 'dist_train.sh'), CONFIG,
               str(gpus)]
        env.update(PYTHON=sys.executable, PORT='29617')
    cmd += ['--work-dir', str(work_dir), *options]
    result = subprocess.run(cmd, env=env, capture_output=True, text=True,
                            timeout=600)
    return result


def losses(work_dir, rank=0):
    return [r['loss'] for r in read_records(work_dir, rank) if 'loss' in r]


def test_resume_after_kill_continues_exactly(tmp_path):
    straight, killed = tmp_path / 'straight', tmp_path / 'killed'
    assert train(straight).returncode == 0
    crash = train(killed, '--cfg-options', 'stop_after_iter=4')
    assert crash.returncode != 0 and osp.isfile(killed / 'iter_4.pth')
    resumed = train(killed, '--resume', str(killed / 'iter_4.pth'))
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    expected = losses(straight)
    got = losses(killed)  # 4 losses before the kill, 4 after the resume
    assert len(expected) == 8 and len(got) == 8
    assert got == pytest.approx(expected, rel=1e-5, abs=1e-7)
    a = load_checkpoint_file(str(straight / 'iter_8.pth'))
    b = load_checkpoint_file(str(killed / 'iter_8.pth'))
    for key, value in a['state_dict'].items():
        assert torch.allclose(value.float(), b['state_dict'][key].float(),
                              atol=1e-6), key
    assert b['meta']['iter'] == 8


def test_two_gloo_processes_follow_one(tmp_path):
    single, double = tmp_path / 'single', tmp_path / 'double'
    assert train(single).returncode == 0
    run = train(double, '--cfg-options', 'train_dataloader.batch_size=4',
                gpus=2)
    assert run.returncode == 0, run.stderr[-3000:]
    one = losses(single)
    two = [(a + b) / 2 for a, b in zip(losses(double, 0), losses(double, 1))]
    assert len(one) == len(two) == 8
    # Same initial weights and the same 8 images, split 4 + 4: the first
    # losses agree up to the noise draws.
    assert two[0] == pytest.approx(one[0], rel=0.15)
    # Both runs learn by a similar factor (noise differs per process).
    late_one, late_two = sum(one[4:]) / 4, sum(two[4:]) / 4
    assert late_one < 0.2 * one[0] and late_two < 0.2 * two[0]
    assert 0.2 < late_two / late_one < 5
    # Gradients are averaged: both ranks end with the same weights.
    end = [read_records(double, rank)[-1] for rank in (0, 1)]
    assert end[0]['unet_sum'] == pytest.approx(end[1]['unet_sum'], rel=1e-6)
    assert end[0]['target_sum'] == pytest.approx(end[1]['target_sum'],
                                                 rel=1e-6)
