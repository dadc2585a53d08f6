"""Sample images from a consistency model (or an EDM teacher) checkpoint.

Writes ``samples_{N}x{H}x{W}x{C}.npz`` like the official ``image_sample.py``
(``arr_0``: uint8 NHWC images, ``arr_1``: labels of class-conditional
models) and, with ``--grid``, a PNG grid of the first images.

Example:
    python tools/sample.py \
        configs/consistency_models/cd-lpips_adm-unet_2step_imagenet-64x64.py \
        cd_imagenet64_lpips.pt --sampler onestep --num-samples 64
"""
import argparse
import os
import os.path as osp
import sys

import numpy as np
from mmengine.config import DictAction

from mmcm.utils import get_logger
from mmcm.utils.cli import (add_model_arguments, add_speed_arguments,
                            int_list, quiet_imports, speed_options)
from mmcm.utils.functional import DTYPES
from mmcm.visualization import save_image_grid

with quiet_imports():
    from mmcm.apis import CheckpointError, generate_samples, init_model
    from mmcm.models.sampling import GENERATOR_NAMES, SAMPLERS



def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Sample from a consistency model checkpoint')
    add_model_arguments(parser)
    parser.add_argument('--num-samples', type=int, default=16)
    parser.add_argument('--batch-size', type=int, default=16)
    parser.add_argument('--seed', type=int, help='noise (and label) seed')
    parser.add_argument('--generator', choices=GENERATOR_NAMES)
    parser.add_argument('--sampler', choices=sorted(SAMPLERS))
    parser.add_argument('--ts', type=int_list,
                        help='multistep indices, e.g. 0,22,39')
    parser.add_argument('--steps', type=int,
                        help='points of the Karras grid')
    parser.add_argument('--class-labels', type=int_list,
                        help='one label for all samples or one per sample; '
                        'default: seeded random labels')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--dtype', choices=sorted(DTYPES),
                        help='UNet torso precision (default: the config\'s)')
    parser.add_argument('--out', default='work_dirs/samples',
                        help='output folder')
    parser.add_argument('--grid', action='store_true',
                        help='also write a PNG grid of the samples')
    parser.add_argument('--grid-size', type=int, default=64,
                        help='at most this many images in the grid')
    parser.add_argument('--grid-zoom', type=int, default=1,
                        help='enlarge grid images by nearest neighbour')
    parser.add_argument('--no-progress', action='store_true')
    add_speed_arguments(parser)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value')
    return parser.parse_args(argv)


def sampling_overrides(args) -> dict:
    return dict(seed=args.seed, generator=args.generator,
                sampler=args.sampler, steps=args.steps,
                ts=tuple(args.ts) if args.ts else None)


def save_samples(out_dir: str, images: np.ndarray, labels) -> str:
    os.makedirs(out_dir, exist_ok=True)
    shape = 'x'.join(str(d) for d in images.shape)
    path = osp.join(out_dir, f'samples_{shape}.npz')
    arrays = (images, ) if labels is None else (images, labels)
    np.savez(path, *arrays)
    return path


def main(argv=None) -> int:
    args = parse_args(argv)
    logger = get_logger()
    try:
        model = init_model(args.config, args.checkpoint, device=args.device,
                           dtype=args.dtype, cfg_options=args.cfg_options)
        model.sampling_network().accelerate(**speed_options(args))
        images, labels = generate_samples(
            model, args.num_samples, args.batch_size,
            class_labels=args.class_labels,
            progress=not args.no_progress, **sampling_overrides(args))
    except (CheckpointError, ValueError, FileNotFoundError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    path = save_samples(args.out, images, labels)
    logger.info(f'saved {len(images)} samples to {path}')
    if args.grid:
        grid_path = osp.join(args.out, 'samples_grid.png')
        save_image_grid(images[:args.grid_size], grid_path,
                        zoom=args.grid_zoom)
        logger.info(f'saved a grid of {min(len(images), args.grid_size)} '
                    f'samples to {grid_path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
