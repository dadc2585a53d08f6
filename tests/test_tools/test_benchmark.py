import json
import os.path as osp
import sys

from ..conftest import REPO

sys.path.insert(0, osp.join(REPO, 'tools'))
import benchmark  # noqa: E402


def test_benchmark_reports_both_samplers(tiny_config, tmp_path, capsys):
    out = tmp_path / 'bench.json'
    record = benchmark.main([tiny_config, '--batch-size', '2', '--iters',
                             '1', '--warmup', '0', '--out', str(out)])
    assert json.loads(out.read_text()) == record
    assert [r['sampler'] for r in record['results']] == ['onestep',
                                                         'multistep']
    for result in record['results']:
        assert result['images_per_s'] > 0 and result['peak_memory_mib'] > 0
    assert record['environment']['device'] == 'cpu'
    assert record['parameters'] > 1_000_000
    assert 'images/s' in capsys.readouterr().out
