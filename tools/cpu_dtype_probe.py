"""How much faster this CPU computes the ImageNet-64 UNet's convolutions in
bf16 autocast than in float32: what decides whether ``--amp`` pays here.

A CPU with AVX-512 or AMX runs oneDNN's bf16 kernels; one with only AVX2
falls back to reference kernels, many times slower than float32. ``--amp``
(auto) reads the same thing (``mmcm.engine.amp.cpu_computes``).

Example:
    python tools/cpu_dtype_probe.py --threads 2
"""
import argparse
import json
import time

import torch

from mmcm.engine.amp import cpu_computes

# (channels, map size): the 3x3 convolutions of the ImageNet-64 UNet's
# first two levels (model_channels 192, channel_mult 1, 2), batch 2.
LAYERS = ((192, 64), (384, 32))


def seconds_per_call(conv, x, repeats: int) -> float:
    conv(x)  # warm-up: oneDNN picks and caches its kernel
    start = time.perf_counter()
    for _ in range(repeats):
        conv(x)
    return (time.perf_counter() - start) / repeats


def probe(repeats: int = 3, batch: int = 2) -> list:
    rows = []
    for channels, size in LAYERS:
        conv = torch.nn.Conv2d(channels, channels, 3, padding=1)
        x = torch.randn(batch, channels, size, size)
        with torch.no_grad():
            fp32 = seconds_per_call(conv, x, repeats)
            with torch.autocast('cpu', dtype=torch.bfloat16):
                bf16 = seconds_per_call(conv, x, repeats)
        rows.append(dict(layer=f'conv3x3 {channels}ch {size}x{size} '
                         f'batch {batch}', fp32_ms=fp32 * 1e3,
                         bf16_ms=bf16 * 1e3, bf16_speedup=fp32 / bf16))
    return rows


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--out', help='JSON record')
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    record = dict(cpu_capability=torch.backends.cpu.get_cpu_capability(),
                  bf16_units=cpu_computes('bf16'), threads=args.threads,
                  rows=probe(args.repeats))
    print(f"CPU capability {record['cpu_capability']}, bf16 units: "
          f"{record['bf16_units']}")
    for row in record['rows']:
        print(f"{row['layer']}: fp32 {row['fp32_ms']:.1f} ms, bf16 "
              f"{row['bf16_ms']:.1f} ms, bf16 speed-up "
              f"{row['bf16_speedup']:.3g}x")
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(record, f, indent=1)
    return record


if __name__ == '__main__':
    main()
