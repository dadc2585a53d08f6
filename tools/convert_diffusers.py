"""Convert between mmcm / official checkpoints and diffusers folders.

export: a config and checkpoint (official .pt or ours) to a diffusers
``ConsistencyModelPipeline`` folder (``UNet2DModel`` +
``CMStochasticIterativeScheduler``):
    python tools/convert_diffusers.py export CONFIG CHECKPOINT OUT_DIR
import: a diffusers ``UNet2DModel`` (or pipeline) folder to an official-
format ``.pt``; prints the ADMUNet settings it needs, and with ``--config``
checks that the file loads into that config:
    python tools/convert_diffusers.py import DIFFUSERS_DIR OUT.pt [--config C]
"""
import argparse
import os
import os.path as osp
import sys

import torch

from mmcm.utils import get_logger
from mmcm.utils.cli import quiet_imports

with quiet_imports():
    from mmcm.apis import CheckpointError, init_model
    from mmcm.apis.diffusers_interop import (export_to_diffusers,
                                             import_from_diffusers)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest='command', required=True)
    export = commands.add_parser('export', help='mmcm -> diffusers')
    export.add_argument('config')
    export.add_argument('checkpoint')
    export.add_argument('out_dir')
    export.add_argument('--steps', type=int,
                        help='scheduler grid size (default: the config\'s)')
    imp = commands.add_parser('import', help='diffusers -> official .pt')
    imp.add_argument('diffusers_dir')
    imp.add_argument('out')
    imp.add_argument('--config', help='check the weights load into it')
    return parser.parse_args(argv)


def run_export(args, logger) -> None:
    model = init_model(args.config, args.checkpoint)
    export_to_diffusers(model, args.out_dir, steps=args.steps)
    logger.info(f'saved a diffusers ConsistencyModelPipeline to '
                f'{args.out_dir}')


def run_import(args, logger) -> None:
    if not osp.isdir(args.diffusers_dir):
        raise FileNotFoundError(f'no diffusers folder at {args.diffusers_dir}')
    unet_cfg, state = import_from_diffusers(args.diffusers_dir)
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    torch.save(state, args.out)
    logger.info(f'saved {len(state)} tensors to {args.out}; ADMUNet '
                f'settings: {unet_cfg}')
    if args.config:
        init_model(args.config, args.out)
        logger.info(f'{args.out} loads strictly into {args.config}')


def main(argv=None) -> int:
    args = parse_args(argv)
    logger = get_logger()
    try:
        (run_export if args.command == 'export' else run_import)(args, logger)
    except (CheckpointError, ValueError, FileNotFoundError, OSError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
