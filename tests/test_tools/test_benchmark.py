import json
import os.path as osp
import sys

import pytest

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


def test_jvp_training_steps_against_the_ct_step(tiny_config):
    """sCT and MeanFlow steps, each with the attention rule, the math
    backend and in one pass, beside the CT step; the targets compare the
    default paths with the CT step."""
    record = benchmark.main([tiny_config, '--batch-size', '2', '--iters',
                             '1', '--warmup', '0', '--samplers',
                             '--train', 'ct', 'sct', 'meanflow',
                             '--distances', 'l2'])
    rows = [(r['task'], r['implementation']) for r in record['results']]
    assert rows == [('train-ct-l2', 'mmcm'), ('train-sct', 'mmcm'),
                    ('train-sct', 'math-attention'),
                    ('train-sct', 'single-pass'), ('train-meanflow', 'mmcm'),
                    ('train-meanflow', 'math-attention'),
                    ('train-meanflow', 'single-pass')]
    for row in record['results']:
        assert row['seconds_per_batch'] > 0 and row['peak_memory_mib'] > 0
        assert row['last_loss'] == row['last_loss']  # finite, not NaN
    by = {(r['task'], r['implementation']): r for r in record['results']}
    targets = {c['target']: c for c in record['targets']}
    ratio = (by['train-sct', 'mmcm']['seconds_per_batch'] /
             by['train-ct-l2', 'mmcm']['seconds_per_batch'])
    assert targets['train-sct time vs train-ct-l2 (CPU fp32)'][
        'measured'] == pytest.approx(ratio)
    assert targets['train-meanflow time vs train-ct-l2 (CPU fp32)'][
        'wanted'] == 1.6
    assert 'train-sct peak memory vs train-ct-l2' in targets


def test_diffusers_copy_computes_the_same_network(tiny_config):
    import torch

    from mmcm.apis import init_model
    from mmcm.apis import random_unet_state_dict
    from mmcm.analysis.benchmarking import diffusers_copy
    model = init_model(tiny_config)
    model.unet.load_state_dict(random_unet_state_dict(
        model.network_cfg, seed=1))
    twin = diffusers_copy(model.unet).eval()
    x, t = torch.randn(2, 3, 32, 32), torch.tensor([5.0, 250.0])
    y = torch.tensor([0, 3])
    torch.testing.assert_close(twin(x, t, y), model.unet(x, t, y),
                               atol=1e-4, rtol=0)


def test_speed_options_apply_to_both_implementations(tiny_config):
    record = benchmark.main([tiny_config, '--batch-size', '2', '--iters',
                             '1', '--warmup', '0', '--samplers', 'onestep',
                             '--compare', 'diffusers', '--channels-last',
                             '--autocast', 'bf16'])
    assert record['precision'] == 'bf16'
    assert record['speed_options']['channels_last']
    for row in record['results']:
        expected = row['images_per_s'] * record['gflops_per_image'] / 1e3
        assert row['tflops'] == pytest.approx(expected)
    # the ratio rows exist, and no CPU fp32 target applies to bf16
    assert [c['target'] for c in record['targets']] == [
        'onestep peak memory vs diffusers']


def test_winograd_is_mmcm_only_and_its_kernels_are_counted(tiny_config):
    from mmcm.apis import init_model
    from mmcm.models.unets import WinogradConv2d
    record = benchmark.main([tiny_config, '--batch-size', '2', '--iters',
                             '1', '--warmup', '0', '--samplers', 'onestep',
                             '--compare', 'diffusers', '--winograd'])
    assert record['speed_options']['winograd']
    assert record['winograd_kernel_mib'] > 0
    model = init_model(tiny_config)
    model.unet.accelerate(winograd=True)
    twin = benchmark.with_diffusers_unet(model, benchmark.parse_args(
        [tiny_config, '--winograd']))
    assert any(isinstance(m, WinogradConv2d) for m in model.unet.modules())
    assert not any(isinstance(m, WinogradConv2d)
                   for m in twin.unet.modules())


@pytest.mark.parametrize('config,params,gflops', [
    ('cd-lpips_adm-unet_2step_imagenet-64x64.py', 295.9e6, 219.3),
    ('cd-lpips_adm-unet_2step_lsun-bedroom-256x256.py', 526.3e6, 2238.7),
])
def test_forward_flops_of_the_official_architectures(config, params,
                                                      gflops):
    import torch
    from mmengine import Config

    from mmcm.registry import MODELS
    from mmcm.apis import register_all_modules
    from mmcm.analysis.benchmark_targets import forward_flops
    register_all_modules()
    cfg = Config.fromfile(osp.join(REPO, 'configs/consistency_models',
                                   config))
    with torch.device('meta'):
        unet = MODELS.build(cfg.model.network)
    assert sum(p.numel() for p in unet.parameters()) == pytest.approx(
        params, rel=1e-3)
    assert forward_flops(unet, 'meta') / 1e9 == pytest.approx(gflops,
                                                              rel=1e-3)


def test_targets_say_by_how_much_they_are_missed(capsys):
    from mmcm.analysis.benchmark_targets import (check_targets,
                                                 peak_tflops, print_targets)
    assert peak_tflops('NVIDIA H100 80GB HBM3', 'bf16') == 989.4
    assert peak_tflops('NVIDIA H100 PCIe', 'bf16') == 756.0
    assert peak_tflops('Tesla T4', 'bf16') is None
    cpu = dict(environment=dict(device='cpu'), precision='fp32',
               ratios=[dict(task='onestep', speed_ratio=1.2,
                            memory_ratio=0.9)], results=[])
    speed, memory = check_targets(cpu)
    assert not speed['met'] and speed['shortfall'] == pytest.approx(0.2)
    assert memory['met'] and memory['shortfall'] == 0
    gpu = dict(environment=dict(device='cuda:0'), precision='bf16',
               peak_tflops=1000.0,
               ratios=[dict(task='train-cd-lpips', speed_ratio=1.43,
                            memory_ratio=1.1)],
               results=[dict(task='onestep', implementation='mmcm',
                             tflops=400.0)])
    train, memory, peak = check_targets(gpu)
    assert train['met'] and train['wanted'] == 1.3
    assert memory['shortfall'] == pytest.approx(0.1)
    assert peak['measured'] == 0.4
    assert peak['shortfall'] == pytest.approx(0.2)
    print_targets([speed, peak])
    assert 'missed by 20%' in capsys.readouterr().out


def test_cpu_peak_memory_counts_torch_allocations_exactly():
    import torch

    from mmcm.analysis.benchmarking import PeakMemory, measure
    kept = torch.ones(2**20)  # allocated before: not counted
    with PeakMemory('cpu') as memory:
        freed = torch.empty(2**20)  # 4 MiB, the peak
        del freed
        small = torch.empty(2**18) * 2  # 1 MiB + 1 MiB after the free
    assert memory.peak_mib == pytest.approx(4.0, abs=1e-3)
    calls = []

    def call(name, floats):
        calls.append(name)
        torch.empty(floats).add_(1)

    timings = measure({'a': lambda: call('a', 3 * 2**18),
                       'b': lambda: call('b', 2**18)}, 'cpu', warmup=1,
                      iters=2)
    assert ''.join(calls) == 'ab' * 4  # warm-up, two timed turns, memory
    assert timings['a']['peak_memory_mib'] == pytest.approx(3.0, abs=1e-3)
    assert timings['b']['peak_memory_mib'] == pytest.approx(1.0, abs=1e-3)
    assert timings['a']['seconds_per_call'] > 0
    del kept, small
