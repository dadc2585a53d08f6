"""Nothing lost on resume or preemption; two gloo processes follow one."""
import glob
import json
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch

from mmcm.engine import PREEMPTED_EXIT_CODE
from mmcm.utils.checkpoint import load_checkpoint_file
from ..conftest import REPO, free_port
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
        env.update(PYTHON=sys.executable, PORT=free_port())
    cmd += ['--work-dir', str(work_dir), *options]
    result = subprocess.run(cmd, env=env, capture_output=True, text=True,
                            timeout=600)
    return result


DDP_OPTIONS = ('--cfg-options', 'train_dataloader.batch_size=4')


@pytest.fixture(scope='module')
def single_run(tmp_path_factory):
    """One uninterrupted single-process run, the reference of several
    tests (read only)."""
    work_dir = tmp_path_factory.mktemp('single')
    run = train(work_dir)
    assert run.returncode == 0, run.stderr[-2000:]
    return work_dir


@pytest.fixture(scope='module')
def ddp_run(tmp_path_factory):
    """One uninterrupted two-process (gloo DDP) run of batches 4 + 4, the
    reference of several tests (read only)."""
    work_dir = tmp_path_factory.mktemp('ddp')
    run = train(work_dir, *DDP_OPTIONS, gpus=2)
    assert run.returncode == 0, run.stderr[-3000:]
    return work_dir


def losses(work_dir, rank=0):
    return [r['loss'] for r in read_records(work_dir, rank) if 'loss' in r]


def test_resume_after_kill_continues_exactly(tmp_path, single_run):
    straight, killed = single_run, tmp_path / 'killed'
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


def test_two_gloo_processes_follow_one(single_run, ddp_run):
    single, double = single_run, ddp_run
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


def logged(work_dir, key='loss'):
    """``{iter: value}`` of what the logger wrote (smoothed over its window)
    in every run of ``work_dir`` (a resumed run starts a new log folder)."""
    values = {}
    for path in sorted(glob.glob(f'{work_dir}/*/vis_data/scalars.json')):
        with open(path, encoding='utf-8') as f:
            for line in f:
                record = json.loads(line)
                if key in record:
                    values[record['iter']] = record[key]
    return values


def test_signal_saves_exits_and_resumes_bit_exactly(tmp_path, single_run):
    straight, stopped = single_run, tmp_path / 'stopped'
    run = train(stopped, '--cfg-options', 'signal_after_iter=3')
    assert run.returncode == PREEMPTED_EXIT_CODE, run.stderr[-2000:]
    saved = load_checkpoint_file(str(stopped / 'iter_3.pth'))
    assert saved['meta']['iter'] == 3
    assert saved['meta']['preempted_by'] == 'SIGTERM'
    resumed = train(stopped, '--resume')  # the latest checkpoint: iter_3
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert losses(stopped) == losses(straight)
    a = load_checkpoint_file(str(straight / 'iter_8.pth'))['state_dict']
    b = load_checkpoint_file(str(stopped / 'iter_8.pth'))['state_dict']
    assert a.keys() == b.keys()
    assert all(torch.equal(a[key], b[key]) for key in a)
    # The logger's smoothing window survives the resume: the smoothed loss
    # of iterations 4..8 averages from iteration 1, as without the stop.
    expected, got = logged(straight), logged(stopped)
    assert sorted(got) == list(range(1, 9))
    assert [got[i] for i in range(4, 9)] == [expected[i]
                                             for i in range(4, 9)]
    restarted_window = sum(losses(stopped)[3:4])
    assert got[4] != pytest.approx(restarted_window)


def test_slurm_train_requeues_a_preempted_job(tmp_path):
    """tools/slurm_train.sh with stand-in srun/scontrol: SIGUSR1 mid-run,
    exit 75, `scontrol requeue JOB`; the requeued job resumes and ends."""
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    (bin_dir / 'srun').write_text(
        '#!/usr/bin/env bash\n'  # drop srun's options, run the task
        'while [ "$1" != python ]; do shift; done\n'
        f'shift; exec {sys.executable} "$@"\n')
    (bin_dir / 'scontrol').write_text(
        f'#!/usr/bin/env bash\necho "$@" >> {tmp_path}/scontrol.txt\n')
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)
    work_dir = tmp_path / 'job'
    env = dict(os.environ, PATH=f'{bin_dir}:{os.environ["PATH"]}',
               SLURM_JOB_ID='4242', OMP_NUM_THREADS='1')
    env.pop('SLURM_PROCID', None)

    def job(restarts, *options):
        cmd = ['bash', osp.join(REPO, 'tools', 'slurm_train.sh'), 'gpu',
               'cm', CONFIG, str(work_dir), '--launcher', 'none', *options]
        return subprocess.run(cmd, env=dict(env, SLURM_RESTART_COUNT=restarts),
                              capture_output=True, text=True, timeout=600)

    first = job('0', '--cfg-options', 'signal_after_iter=5',
                'signal_name=SIGUSR1')
    assert first.returncode == PREEMPTED_EXIT_CODE, first.stderr[-2000:]
    assert (tmp_path / 'scontrol.txt').read_text().split() == [
        'requeue', '4242']
    requeued = job('1')
    assert requeued.returncode == 0, requeued.stderr[-2000:]
    assert [r['iter'] for r in read_records(work_dir) if 'iter' in r] == [
        0, 1, 2, 3, 4, 5, 6, 7]


def test_two_nodes_follow_two_processes_on_one_node(tmp_path, ddp_run):
    """dist_train.sh on two "nodes" (NNODES=2, NODE_RANK=0/1, one process
    each, both on this machine) is the two-process run, rank for rank."""
    one_node, two_nodes = ddp_run, tmp_path / 'two_nodes'
    options = list(DDP_OPTIONS)
    env = dict(os.environ, PYTHONPATH=REPO, OMP_NUM_THREADS='1',
               PYTHON=sys.executable, PORT=free_port(), NNODES='2',
               MASTER_ADDR='127.0.0.1')
    cmd = ['bash', osp.join(REPO, 'tools', 'dist_train.sh'), CONFIG, '1',
           '--work-dir', str(two_nodes), *options]
    nodes = [subprocess.Popen(cmd, env=dict(env, NODE_RANK=str(rank)),
                              stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
             for rank in (0, 1)]
    errors = [node.communicate(timeout=600)[1] for node in nodes]
    assert [node.returncode for node in nodes] == [0, 0], errors[0][-2000:]
    for rank in (0, 1):
        assert losses(two_nodes, rank) == losses(one_node, rank)


def test_a_signal_to_one_rank_stops_both_at_the_same_iteration(tmp_path,
                                                                ddp_run):
    straight, stopped = ddp_run, tmp_path / 'stopped'
    options = list(DDP_OPTIONS)
    run = train(stopped, *options, 'signal_after_iter=5', 'signal_rank=1',
                gpus=2)
    assert run.returncode != 0  # torchrun reports its workers' exit 75
    assert 'exiting with 75' in run.stdout + run.stderr
    assert load_checkpoint_file(str(stopped / 'iter_5.pth'))['meta'][
        'preempted_by'] == 'SIGTERM'
    for rank in (0, 1):  # both ranks ended after iteration 5
        assert len(losses(stopped, rank)) == 5
    resumed = train(stopped, *options, '--resume', gpus=2)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    for rank in (0, 1):
        assert losses(stopped, rank) == losses(straight, rank)


def test_fsdp_follows_ddp_and_resumes_exactly(tmp_path, ddp_run):
    """Two gloo processes: every network sharded (FSDP) learns as DDP does,
    and a killed FSDP run resumes to the uninterrupted one's weights."""
    ddp, fsdp, killed = ddp_run, tmp_path / 'fsdp', tmp_path / 'kill'
    options = list(DDP_OPTIONS)
    run = train(fsdp, '--strategy', 'fsdp', *options, gpus=2)
    assert run.returncode == 0, run.stderr[-3000:]
    for rank in (0, 1):
        assert losses(fsdp, rank) == pytest.approx(losses(ddp, rank),
                                                   rel=1e-6, abs=1e-9)
    full = {name: load_checkpoint_file(str(path / 'iter_8.pth'))
            for name, path in (('ddp', ddp), ('fsdp', fsdp))}
    for key, value in full['ddp']['state_dict'].items():  # full tensors
        assert torch.allclose(value, full['fsdp']['state_dict'][key],
                              atol=1e-6), key
    crash = train(killed, '--strategy', 'fsdp', *options, 'stop_after_iter=4',
                  gpus=2)
    assert crash.returncode != 0 and osp.isfile(killed / 'iter_4.pth')
    resumed = train(killed, '--strategy', 'fsdp', *options, '--resume',
                    gpus=2)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    for rank in (0, 1):
        assert losses(killed, rank) == pytest.approx(losses(fsdp, rank),
                                                     rel=1e-6, abs=1e-9)
    end = load_checkpoint_file(str(killed / 'iter_8.pth'))['state_dict']
    for key, value in full['fsdp']['state_dict'].items():
        assert torch.allclose(value, end[key], atol=1e-6), key
