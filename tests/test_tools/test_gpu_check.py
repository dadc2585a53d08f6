"""tools/gpu_check.sh on the CPU: the same checks at small sizes, GPU-only
rows marked, a JSON record and a Markdown table; run as on the GPU machine,
where neither mmagic nor a compiled mmcv is installed."""
import json
import os
import os.path as osp
import subprocess
import sys

from ..conftest import REPO

# Imported first by every Python process that has this folder on its path
# (the check, torchrun and its worker): the packages a bare GPU machine
# lacks cannot be imported; each process writes down its script's name.
BLOCKER = '''
import importlib.abc, os, sys
ABSENT = ('mmagic', 'mmcv._ext', 'mmcv.ops')
class Absent(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if any(name == a or name.startswith(a + '.') for a in ABSENT):
            raise ModuleNotFoundError(f'No module named {name!r}')
sys.meta_path.insert(0, Absent())
with open(os.environ['BARE_PROCESSES'], 'a') as log:
    log.write(os.path.basename(sys.argv[0] if sys.argv else '') + '\\n')
'''


def bare_gpu_machine_env(tmp_path) -> dict:
    site = tmp_path / 'site'
    site.mkdir()
    (site / 'sitecustomize.py').write_text(BLOCKER)
    path = os.pathsep.join(p for p in (str(site),
                                       os.environ.get('PYTHONPATH')) if p)
    return dict(os.environ, PYTHON=sys.executable, CUDA_VISIBLE_DEVICES='',
                PYTHONPATH=path,
                BARE_PROCESSES=str(tmp_path / 'processes.txt'))


def test_gpu_check_runs_on_the_cpu_without_mmagic(tmp_path):
    env = bare_gpu_machine_env(tmp_path)
    out = tmp_path / 'out'
    run = subprocess.run(
        ['bash', osp.join(REPO, 'tools', 'gpu_check.sh'), '--out', str(out)],
        env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    processes = (tmp_path / 'processes.txt').read_text().split()
    assert {'gpu_check.py', 'train.py'} <= set(processes), processes
    record = json.loads((out / 'gpu_check.json').read_text())
    status = {row['check']: row['status'] for row in record['rows']}
    values = {row['check']: row['value'] for row in record['rows']}
    assert status['(a) one-step fp16 vs fp32, max abs'] == 'pass'
    assert 0 < values['(a) one-step bf16 vs fp32, max abs'] <= 5e-2
    assert 'flash' in values['(a) attention kernel (profiler)']
    assert status['(b) one-step bf16 CUDA graphs'] == 'not run (GPU only)'
    trained = [c for c in status if c.startswith('(c)')]
    assert len(trained) == 4  # CT-l2 and CD-LPIPS, mmcm and diffusers
    assert all(status[c] == 'pass' for c in trained)
    assert [status[c] for c in status if c.startswith('(d)')] == ['pass']
    table = (out / 'gpu_check.md').read_text()
    assert table.count('\n| (') == len(record['rows'])
