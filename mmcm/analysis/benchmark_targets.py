"""The speed and memory targets ``tools/benchmark.py`` checks.

- CPU, fp32, one-step sampling: at least 1.5x the images/s of diffusers'
  ``UNet2DModel`` on the same weights, in the same run;
- GPU, one-step sampling in bf16: at least half the GPU's dense bf16 peak;
- GPU, CD-LPIPS training step: at least 1.3x the diffusers-based step;
- everywhere: peak memory no higher than diffusers' at the same batch;
- training steps through a JVP (CPU, fp32, the exact JVP): an sCT step at
  most 1.4x and a MeanFlow step at most 1.6x the time of a CT step (l2) on
  the same network, each with peak memory no higher than the CT step's.
"""
from typing import Optional

import torch
from torch.utils.flop_counter import FlopCounterMode

# Dense (no sparsity) peak TFLOP/s by precision, from the vendors' data
# sheets; the first name contained in the device name wins.
PEAK_TFLOPS = (
    ('H100 PCIe', dict(bf16=756.0, fp16=756.0, fp32=51.2)),
    ('H100', dict(bf16=989.4, fp16=989.4, fp32=66.9)),
    ('H200', dict(bf16=989.4, fp16=989.4, fp32=66.9)),
    ('A100', dict(bf16=312.0, fp16=312.0, fp32=19.5)),
)
CPU_SPEEDUP = 1.5
TRAIN_SPEEDUP = 1.3
PEAK_FRACTION = 0.5
JVP_STEP_RATIOS = {'train-sct': 1.4, 'train-meanflow': 1.6}


def peak_tflops(device_name: str, precision: str) -> Optional[float]:
    """Known dense peak TFLOP/s of a GPU at ``precision``, else ``None``."""
    for name, peaks in PEAK_TFLOPS:
        if name in device_name:
            return peaks.get(precision)
    return None


def forward_flops(network: torch.nn.Module, device) -> float:
    """FLOPs of one forward pass of ``network`` on one image (float32)."""
    shape = (1, network.in_channels, network.image_size, network.image_size)
    x = torch.zeros(shape, device=device)
    t = torch.ones(1, device=device)
    y = (torch.zeros(1, dtype=torch.long, device=device)
         if network.num_classes is not None else None)
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        network(x, t, y)
    return float(counter.get_total_flops())


def _target(name, measured, target, higher_is_better=True) -> dict:
    met = measured >= target if higher_is_better else measured <= target
    short = (1 - measured / target if higher_is_better else
             measured / target - 1)
    return dict(target=name, wanted=target, measured=measured, met=met,
                shortfall=0.0 if met else short)


def check_targets(record: dict) -> list:
    """The targets that apply to ``record`` and whether each is met.

    ``shortfall`` is the fraction by which a missed target is missed.
    """
    env, precision = record['environment'], record['precision']
    on_cuda = env['device'].startswith('cuda')
    checks = []
    for ratio in record.get('ratios', []):
        task = ratio['task']
        if task == 'onestep' and not on_cuda and precision == 'fp32':
            checks.append(_target('onestep speed vs diffusers (CPU fp32)',
                                  ratio['speed_ratio'], CPU_SPEEDUP))
        if task == 'train-cd-lpips' and on_cuda:
            checks.append(_target('train-cd-lpips speed vs diffusers',
                                  ratio['speed_ratio'], TRAIN_SPEEDUP))
        if ratio['memory_ratio'] is not None:
            checks.append(_target(f'{task} peak memory vs diffusers',
                                  ratio['memory_ratio'], 1.0,
                                  higher_is_better=False))
    checks.extend(_jvp_step_targets(record['results'], on_cuda, precision))
    peak = record.get('peak_tflops')
    for row in record['results']:
        if (row['task'] == 'onestep' and row['implementation'] == 'mmcm'
                and on_cuda and precision == 'bf16' and peak):
            checks.append(_target('onestep bf16 fraction of GPU peak',
                                  row['tflops'] / peak, PEAK_FRACTION))
    return checks


def _jvp_step_targets(rows: list, on_cuda: bool, precision: str) -> list:
    """The sCT and MeanFlow steps (mmcm's default path) against the CT
    step with the l2 distance, time and peak memory (CPU fp32 only)."""
    mmcm = {row['task']: row for row in rows
            if row['implementation'] == 'mmcm'}
    ct = mmcm.get('train-ct-l2')
    if ct is None or on_cuda or precision != 'fp32':
        return []
    checks = []
    for task, limit in JVP_STEP_RATIOS.items():
        if task not in mmcm:
            continue
        row = mmcm[task]
        checks.append(_target(f'{task} time vs train-ct-l2 (CPU fp32)',
                              row['seconds_per_batch'] /
                              ct['seconds_per_batch'], limit,
                              higher_is_better=False))
        if ct['peak_memory_mib'] > 0:
            checks.append(_target(f'{task} peak memory vs train-ct-l2',
                                  row['peak_memory_mib'] /
                                  ct['peak_memory_mib'], 1.0,
                                  higher_is_better=False))
    return checks


def print_targets(checks: list) -> None:
    for check in checks:
        verdict = ('met' if check['met'] else
                   f'missed by {100 * check["shortfall"]:.0f}%')
        print(f'target {check["target"]}: {check["measured"]:.2f} '
              f'(wanted {check["wanted"]:.2f}) {verdict}')
