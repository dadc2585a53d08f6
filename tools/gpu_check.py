"""One command that proves the GPU path; on a CPU, the same code small.

(a) precision: fp16 and bf16 one-step outputs of the official ImageNet-64
    architecture (random weights) against fp32, and the attention kernel
    that ran (profiler names: flash or memory-efficient SDPA);
(b) one-step bf16 sampling speed and TFLOP/s, side by side with diffusers
    on the same weights, plain and (GPU) compiled / with CUDA graphs;
(c) CT and CD-LPIPS training steps under bf16 AMP: finite losses, images/s
    against diffusers, peak memory;
(d) a one-process ``tools/dist_train.sh`` run of the digits recipe (NCCL on
    a GPU, gloo on the CPU).

With CUDA it uses the full sizes (batch 256 sampling, batch 32 training,
300 iterations); without, the tiny 32x32 network, small batches and a few
iterations, and marks the GPU-only rows as not run. Writes a JSON record
and a Markdown table.

Example:
    bash tools/gpu_check.sh --out work_dirs/gpu_check
"""
import argparse
import json
import os
import os.path as osp
import socket
import subprocess
import sys
import time

import torch

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

from mmcm.utils.cli import quiet_imports  # noqa: E402

with quiet_imports():
    import benchmark  # tools/benchmark.py  # noqa: E402

    from mmcm.apis import init_model, random_unet_state_dict  # noqa: E402

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = osp.join(ROOT, 'configs', 'consistency_models')
SIZES = dict(
    cuda=dict(config=osp.join(CONFIGS, 'cd-lpips_adm-unet_2step_imagenet-'
                              '64x64.py'),
              sample_batch=256, train_batch=32, dist_iters=300),
    cpu=dict(config=osp.join(CONFIGS, 'tiny', 'cm_adm-unet_2step_tiny-'
                             '32x32.py'),
             sample_batch=4, train_batch=2, dist_iters=2, precision_batch=2,
             warmup=0, iters=1, dist_batch=8))
# Sizes an entry of SIZES may leave out, at the GPU run's values (the CPU
# entry sets its own): the precision batch, the benchmark's warm-up and
# timed calls, and the dist_train.sh batch (None: the recipe's own).
COMMON_SIZES = dict(precision_batch=8, warmup=1, iters=2, dist_batch=None)
DIGITS = osp.join(CONFIGS, 'train', 'cm-ct_adm-unet_1xb64-1k_digits-16x16.py')
TOLERANCE = dict(fp16=1e-2, bf16=5e-2)  # max |out - out_fp32| in [-1, 1]
ATTENTION_KERNELS = ('flash', 'efficient')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out', default='work_dirs/gpu_check',
                        help='folder for gpu_check.json and gpu_check.md')
    parser.add_argument('--device', help='cuda or cpu (default: cuda when '
                        'available)')
    return parser.parse_args(argv)


def random_model(config, device):
    """The config's model with random (nonzero) weights on ``device``."""
    model = init_model(config, device=device)
    state = random_unet_state_dict(model.network_cfg, seed=0)
    model.unet.load_state_dict(state)
    return model.eval()


def one_step(model, batch, autocast=None):
    labels = benchmark.labels_for(model, batch, next(
        model.unet.parameters()).device)
    model.unet.accelerate(autocast=autocast)
    with torch.no_grad():
        out = model.sample(batch, labels=labels, sampler='onestep',
                           generator='determ', seed=0)
    model.unet.accelerate()
    return out.float()


def attention_kernels(model, batch, device) -> list:
    """Names of the SDPA kernels one forward pass ran."""
    activities = [torch.profiler.ProfilerActivity.CPU]
    if device == 'cuda':
        activities.append(torch.profiler.ProfilerActivity.CUDA)
    with torch.profiler.profile(activities=activities) as prof:
        one_step(model, batch, 'bf16')
    names = {event.key for event in prof.key_averages()}
    return sorted(n for n in names if 'attention' in n.lower()
                  and any(k in n.lower() for k in ATTENTION_KERNELS))


def precision_rows(size, device) -> list:
    model = random_model(size['config'], device)
    batch = size['precision_batch']
    reference = one_step(model, batch)
    rows = []
    for name in ('fp16', 'bf16'):
        error = (one_step(model, batch, name) - reference).abs().max().item()
        rows.append(dict(check=f'(a) one-step {name} vs fp32, max abs',
                         value=error, target=TOLERANCE[name],
                         status='pass' if error <= TOLERANCE[name]
                         else 'FAIL'))
    kernels = attention_kernels(model, batch, device)
    rows.append(dict(check='(a) attention kernel (profiler)',
                     value=', '.join(kernels) or 'none',
                     status='pass' if kernels else 'FAIL'))
    return rows


def speed_rows(size, device, out) -> list:
    """(b): one-step bf16 sampling, then (c): AMP training steps."""
    common = [size['config'], '--device', device, '--compare', 'diffusers',
              '--warmup', str(size['warmup']), '--iters', str(size['iters'])]
    variants = [('plain', [])]
    if device == 'cuda':
        variants += [('compile', ['--compile']),
                     ('CUDA graphs', ['--cuda-graphs'])]
    rows = []
    for label, flags in variants:
        record = benchmark.main(common + [
            '--batch-size', str(size['sample_batch']), '--samplers',
            'onestep', '--autocast', 'bf16', '--channels-last', *flags,
            '--out', osp.join(out, f'sampling_{label}.json')])
        rows += [dict(check=f'(b) one-step bf16 {label}, '
                      f'{r["implementation"]}',
                      value=f'{r["images_per_s"]:.1f} images/s, '
                      f'{r.get("tflops", 0):.2f} TFLOP/s', status='ran')
                 for r in record['results']]
        if record['peak_tflops']:
            ours = record['results'][0].get('tflops', 0)
            rows.append(dict(check=f'(b) {label}: share of the bf16 peak',
                             value=ours / record['peak_tflops'], target=0.5,
                             status='pass' if ours >= 0.5 * record[
                                 'peak_tflops'] else 'below target'))
    if device != 'cuda':
        rows += [dict(check=f'(b) one-step bf16 {label}', value='',
                      status='not run (GPU only)')
                 for label in ('compile', 'CUDA graphs')]
    for kind, distance in (('ct', 'l2'), ('cd', 'lpips')):
        record = benchmark.main(common + [
            '--batch-size', str(size['train_batch']), '--samplers',
            '--train', kind, '--distances', distance, '--dtype', 'bf16',
            '--out', osp.join(out, f'training_{kind}.json')])
        rows += [training_row(r) for r in record['results']]
    return rows


def training_row(result: dict) -> dict:
    loss = result.get('last_loss', float('nan'))
    finite = bool(torch.isfinite(torch.tensor(loss)))
    return dict(check=f'(c) {result["task"]} bf16 AMP, '
                f'{result["implementation"]}',
                value=f'{result["images_per_s"]:.2f} images/s, '
                f'{result["peak_memory_mib"]:.0f} MiB, loss {loss:.4g}',
                status='pass' if finite else 'FAIL')


def dist_row(size, device, out) -> dict:
    """(d): tools/dist_train.sh with one process on the digits recipe."""
    backend = 'nccl' if device == 'cuda' else 'gloo'
    work_dir = osp.join(out, 'dist_train')
    with socket.socket() as probe:  # a free port for the rendezvous
        probe.bind(('127.0.0.1', 0))
        port = str(probe.getsockname()[1])
    env = dict(os.environ, PYTHON=sys.executable, PORT=port,
               PYTHONPATH=os.pathsep.join(  # keep carried wheels' folder
                   [ROOT] + [p for p in [os.environ.get('PYTHONPATH')] if p]))
    options = [f'train_cfg.max_iters={size["dist_iters"]}',
               f'env_cfg.dist_cfg.backend={backend}', 'val_cfg=None',
               'val_dataloader=None', 'val_evaluator=None',
               'default_hooks.logger.interval=1']
    if size['dist_batch']:  # else the recipe's own
        options.append(f'train_dataloader.batch_size={size["dist_batch"]}')
    start = time.time()
    run = subprocess.run(
        ['bash', osp.join(ROOT, 'tools', 'dist_train.sh'), DIGITS, '1',
         '--work-dir', work_dir, '--amp', '--cfg-options', *options],
        env=env, capture_output=True, text=True, timeout=900)
    seconds = time.time() - start
    done = run.returncode == 0 and osp.isfile(
        osp.join(work_dir, f'iter_{size["dist_iters"]}.pth'))
    return dict(check=f'(d) dist_train.sh, 1 process, {backend}, '
                f'{size["dist_iters"]} iterations',
                value=f'{seconds:.0f} s', status='pass' if done else
                'FAIL: ' + run.stderr[-300:].replace('\n', ' '))


def markdown(rows, environment) -> str:
    lines = [f'GPU check on {environment}', '',
             '| check | value | target | status |',
             '| :-- | :-- | :-: | :-- |']
    for row in rows:
        value = row['value']
        value = f'{value:.3g}' if isinstance(value, float) else value
        lines.append(f"| {row['check']} | {value} | "
                     f"{row.get('target', '')} | {row['status']} |")
    return '\n'.join(lines) + '\n'


def main(argv=None) -> dict:
    args = parse_args(argv)
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    size = dict(COMMON_SIZES, **SIZES['cuda' if device == 'cuda' else 'cpu'])
    os.makedirs(args.out, exist_ok=True)
    environment = benchmark.environment(device)
    rows = precision_rows(size, device)
    rows += speed_rows(size, device, args.out)
    rows.append(dist_row(size, device, args.out))
    record = dict(environment=environment, sizes=size, rows=rows)
    with open(osp.join(args.out, 'gpu_check.json'), 'w') as f:
        json.dump(record, f, indent=1)
    table = markdown(rows, environment.get('gpu', environment['cpu']))
    with open(osp.join(args.out, 'gpu_check.md'), 'w') as f:
        f.write(table)
    print(table)
    return record


if __name__ == '__main__':
    main()
