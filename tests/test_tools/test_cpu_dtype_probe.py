"""tools/cpu_dtype_probe.py: a row per layer, the speed-up as the ratio of
the two timings, and the CPU's bf16 units as --amp reads them."""
import json
import os.path as osp
import sys

import torch

from ..conftest import REPO

sys.path.insert(0, osp.join(REPO, 'tools'))
import cpu_dtype_probe  # noqa: E402


def test_probe_writes_a_row_per_layer(tmp_path, monkeypatch):
    monkeypatch.setattr(cpu_dtype_probe, 'LAYERS', ((4, 8), (8, 4)))
    out = tmp_path / 'probe.json'
    cpu_dtype_probe.main(['--threads', '1', '--repeats', '1',
                          '--out', str(out)])
    record = json.loads(out.read_text())
    assert [r['layer'] for r in record['rows']] == [
        'conv3x3 4ch 8x8 batch 2', 'conv3x3 8ch 4x4 batch 2']
    for row in record['rows']:
        assert row['bf16_speedup'] == row['fp32_ms'] / row['bf16_ms'] > 0
    assert record['bf16_units'] == bool(
        torch.ops.mkldnn._is_mkldnn_bf16_supported())
    torch.set_num_threads(2)
