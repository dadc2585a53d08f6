"""The largest tensor of one attention JVP, math backend against the
blockwise forward-mode rule, at several sequence lengths (CPU, float32).

Example:
    python tools/benchmark_attention.py --lengths 256 1024 4096
"""
import argparse

from mmcm.utils.cli import quiet_imports

with quiet_imports():
    from mmcm.analysis.attention_memory import memory_table


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--lengths', type=int, nargs='+',
                        default=[256, 1024, 4096])
    parser.add_argument('--heads', type=int, default=4)
    parser.add_argument('--head-dim', type=int, default=64)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    rows = memory_table(args.lengths, heads=args.heads,
                        head_dim=args.head_dim)
    print('| L | math backend, largest tensor (MiB) | blockwise rule (MiB) |')
    print('| --: | --: | --: |')
    for row in rows:
        print(f"| {row['length']} | {row['math']:.2f} | "
              f"{row['blockwise']:.2f} |")
    return rows


if __name__ == '__main__':
    main()
