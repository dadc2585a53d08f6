"""tools/gpu_check.sh on the CPU: the same checks at small sizes, GPU-only
rows marked, a JSON record and a Markdown table."""
import json
import os
import os.path as osp
import subprocess
import sys

from ..conftest import REPO


def test_gpu_check_runs_on_the_cpu(tmp_path):
    env = dict(os.environ, PYTHON=sys.executable, CUDA_VISIBLE_DEVICES='')
    run = subprocess.run(
        ['bash', osp.join(REPO, 'tools', 'gpu_check.sh'), '--out',
         str(tmp_path)], env=env, capture_output=True, text=True,
        timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    record = json.loads((tmp_path / 'gpu_check.json').read_text())
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
    table = (tmp_path / 'gpu_check.md').read_text()
    assert table.count('\n| (') == len(record['rows'])
