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
    assert [r['task'] for r in record['results']] == ['onestep',
                                                      'multistep']
    assert record['ratios'] == []  # nothing to compare with
    for result in record['results']:
        assert result['images_per_s'] > 0 and result['peak_memory_mib'] > 0
    assert record['environment']['device'] == 'cpu'
    assert record['parameters'] > 1_000_000
    assert 'images/s' in capsys.readouterr().out


def test_side_by_side_with_diffusers_and_training_steps(tiny_config,
                                                        tmp_path, capsys):
    out = tmp_path / 'compare.json'
    record = benchmark.main([tiny_config, '--batch-size', '2', '--iters',
                             '1', '--warmup', '0', '--samplers', 'onestep',
                             '--compare', 'diffusers', '--train', 'ct',
                             '--distances', 'l2', '--out', str(out)])
    rows = [(r['task'], r['implementation']) for r in record['results']]
    assert rows == [('onestep', 'mmcm'), ('onestep', 'diffusers'),
                    ('train-ct-l2', 'mmcm'), ('train-ct-l2', 'diffusers')]
    ratios = {r['task']: r for r in record['ratios']}
    for task in ('onestep', 'train-ct-l2'):
        pair = [r for r in record['results'] if r['task'] == task]
        expected = pair[0]['images_per_s'] / pair[1]['images_per_s']
        assert ratios[task]['speed_ratio'] == expected
    assert record['environment']['diffusers']
    printed = capsys.readouterr().out
    assert 'speed x' in printed and 'diffusers' in printed


def test_diffusers_copy_computes_the_same_network(tiny_config):
    import torch

    from mmcm.apis import init_model
    from mmcm.utils import random_unet_state_dict
    from mmcm.utils.benchmarking import diffusers_copy
    model = init_model(tiny_config)
    model.unet.load_state_dict(random_unet_state_dict(
        model.cfg.model.unet, seed=1))
    twin = diffusers_copy(model.unet).eval()
    x, t = torch.randn(2, 3, 32, 32), torch.tensor([5.0, 250.0])
    y = torch.tensor([0, 3])
    torch.testing.assert_close(twin(x, t, y), model.unet(x, t, y),
                               atol=1e-4, rtol=0)
