"""Export the UNet of an mmcm checkpoint as an official-format ``.pt``.

The output is a plain ``state_dict`` of OpenAI's ``cm/unet.py`` UNetModel,
loadable by the official ``image_sample.py`` and by ``tools/sample.py``.

Example:
    python tools/export_official.py work_dirs/digits/iter_2000.pth \
        digits_ema.pt --weights ema
"""
import argparse
import os
import os.path as osp
import sys

import torch

from mmcm.utils.checkpoint import (CheckpointError, extract_unet_state_dict,
                                  load_checkpoint_file)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('checkpoint', help='mmengine checkpoint of mmcm')
    parser.add_argument('out', help='output .pt path')
    parser.add_argument('--weights', choices=['ema', 'online'], default='ema',
                        help='the slowest EMA (default) or the online UNet')
    parser.add_argument('--fp16', action='store_true',
                        help='store float16 weights (half the size)')
    return parser.parse_args(argv)


def export(checkpoint: str, out: str, weights: str = 'ema',
           fp16: bool = False) -> dict:
    """Write the chosen UNet weights of ``checkpoint`` to ``out``."""
    state = extract_unet_state_dict(load_checkpoint_file(checkpoint),
                                    weights=weights)
    state = {k: (v.half() if fp16 and v.is_floating_point() else v)
             .contiguous().clone() for k, v in state.items()}
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    torch.save(state, out)
    return state


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        state = export(args.checkpoint, args.out, args.weights, args.fp16)
    except CheckpointError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    print(f'wrote {len(state)} tensors ({args.weights} weights) to '
          f'{args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
