"""Measure sampling speed: images per second and peak memory.

Runs one-step and multistep sampling (or any samplers given) of a config's
model at a batch size, dtype and device, after warm-up, and prints a table
plus a JSON record. Weights are random unless a checkpoint is given: speed
does not depend on their values.

Example:
    python tools/benchmark.py \
        configs/consistency_models/cd-lpips_adm-unet_2step_imagenet-64x64.py \
        --device cuda --dtype bf16 --batch-size 256
"""
import argparse
import json
import os
import os.path as osp
import platform
import resource
import sys
import time
import warnings

import torch
from mmengine.config import DictAction

with warnings.catch_warnings():
    # transformers (imported by mmengine's optim) warns about a torch API.
    warnings.simplefilter('ignore', FutureWarning)
    from mmcm.apis import init_model
    from mmcm.apis.inference import DTYPES


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Benchmark sampling speed')
    parser.add_argument('config')
    parser.add_argument('--checkpoint', help='optional weights to load')
    parser.add_argument('--samplers', nargs='+',
                        default=['onestep', 'multistep'])
    parser.add_argument('--batch-size', type=int, default=4)
    parser.add_argument('--dtype', choices=sorted(DTYPES), default='fp32')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--iters', type=int, default=3)
    parser.add_argument('--out', help='JSON record path')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def environment(device: str) -> dict:
    info = dict(torch=torch.__version__, python=platform.python_version(),
                device=device, threads=torch.get_num_threads(),
                cpu=platform.processor() or platform.machine())
    if torch.device(device).type == 'cuda':
        info['gpu'] = torch.cuda.get_device_name(device)
    return info


def synchronize(device: str) -> None:
    if torch.device(device).type == 'cuda':
        torch.cuda.synchronize(device)


def peak_memory_mib(device: str) -> float:
    """CUDA: peak allocated by torch; CPU: peak resident set of the process."""
    if torch.device(device).type == 'cuda':
        return torch.cuda.max_memory_allocated(device) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10


def time_sampler(model, sampler: str, args) -> dict:
    """Images per second of ``sampler`` over ``args.iters`` timed batches."""
    labels = None
    if model.num_classes is not None:
        labels = torch.zeros(args.batch_size, dtype=torch.long)
    run = dict(sampler=sampler, generator='dummy')
    if torch.device(args.device).type == 'cuda':
        torch.cuda.reset_peak_memory_stats(args.device)
    for _ in range(args.warmup):
        model.sample(args.batch_size, labels=labels, **run)
    synchronize(args.device)
    start = time.perf_counter()
    for _ in range(args.iters):
        model.sample(args.batch_size, labels=labels, **run)
    synchronize(args.device)
    seconds = time.perf_counter() - start
    return dict(sampler=sampler, batch_size=args.batch_size,
                images_per_s=args.batch_size * args.iters / seconds,
                seconds_per_batch=seconds / args.iters,
                peak_memory_mib=peak_memory_mib(args.device))


def main(argv=None) -> dict:
    args = parse_args(argv)
    model = init_model(args.config, args.checkpoint, device=args.device,
                       dtype=args.dtype, cfg_options=args.cfg_options)
    record = dict(config=osp.relpath(args.config), dtype=args.dtype,
                  parameters=sum(p.numel() for p in model.parameters()),
                  environment=environment(args.device), results=[])
    print(json.dumps(record['environment']))
    print(f'{"sampler":<10} {"batch":>6} {"images/s":>10} {"s/batch":>9} '
          f'{"peak MiB":>10}')
    for sampler in args.samplers:
        result = time_sampler(model, sampler, args)
        record['results'].append(result)
        print(f'{sampler:<10} {result["batch_size"]:>6} '
              f'{result["images_per_s"]:>10.2f} '
              f'{result["seconds_per_batch"]:>9.3f} '
              f'{result["peak_memory_mib"]:>10.1f}')
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w', encoding='utf-8') as f:
            json.dump(record, f, indent=2)
    return record


if __name__ == '__main__':
    main()
    sys.exit(0)
