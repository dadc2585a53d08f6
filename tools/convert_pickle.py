"""Convert an EDM2/ECT ``.pkl`` network snapshot to a plain ``.pth`` file.

The snapshot is read without running any of the code pickled in it (see
``mmcm.utils.safe_pickle``); the output is
``{'state_dict': ..., 'meta': {'class_name', 'init_kwargs', 'source',
'key'}}``, readable with ``torch.load(path, weights_only=True)``.

Example:
    python tools/convert_pickle.py edm2-img64-s-1073741-0.075.pkl \
        edm2-img64-s.pth --float32
"""
import argparse
import sys

import torch

from mmcm.utils.checkpoint import CheckpointError
from mmcm.utils.safe_pickle import convert_network_pickle


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src', help='network snapshot (.pkl)')
    parser.add_argument('dst', help='output .pth path')
    parser.add_argument('--key', default='ema',
                        help='snapshot entry holding the network '
                        '(default: ema)')
    parser.add_argument('--float32', action='store_true',
                        help='store float32 weights (snapshots are float16)')
    return parser.parse_args(argv)


def summary(saved: dict, dst: str) -> str:
    """One line: tensors, parameters and class of a converted network."""
    state = saved['state_dict']
    numel = sum(t.numel() for t in state.values())
    return (f'saved {len(state)} tensors ({numel:,} parameters) of '
            f'{saved["meta"]["class_name"]} to {dst}')


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        saved = convert_network_pickle(
            args.src, args.dst, key=args.key,
            dtype=torch.float32 if args.float32 else None)
    except (CheckpointError, OSError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    print(summary(saved, args.dst))
    return 0


if __name__ == '__main__':
    sys.exit(main())
