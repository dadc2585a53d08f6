"""Train a consistency model (CD, CT) or an EDM teacher with mmengine.

Example:
    python tools/train.py configs/consistency_models/train/\
cm-ct_adm-unet_1xb32-1k_digits-16x16.py --work-dir work_dirs/digits
"""
import argparse
import logging
import os.path as osp

from mmengine.config import Config
from mmengine.logging import print_log

from mmcm.utils import close_distributed, setup_cpu_distributed
from mmcm.utils.cli import (add_runner_arguments, parse_runner_arguments,
                            quiet_imports)

with quiet_imports():
    from mmengine.runner import FlexibleRunner, Runner

    from mmcm.apis import register_all_modules
    from mmcm.engine import default_amp_dtype, fsdp_strategy


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='where to save logs and models')
    parser.add_argument('--resume', nargs='?', type=str, const='auto',
                        help='resume from the given checkpoint, or from the '
                        'latest one in the work dir when no path is given')
    parser.add_argument('--amp', nargs='?', const='auto',
                        choices=['auto', 'bf16', 'fp16', 'official-fp16'],
                        help='mixed precision: bf16, or fp16 with dynamic '
                        'loss scaling, on CUDA or the CPU (auto: bf16 '
                        'where the device has bf16 units, else fp16 on a '
                        'GPU, float32 on a CPU); official-fp16: the official '
                        'use_fp16 training (float16 torso, float32 master '
                        'weights, its loss-scale schedule)')
    parser.add_argument('--strategy', choices=['ddp', 'fsdp'], default='ddp',
                        help='fsdp: shard every network over the processes '
                        "(mmengine's FlexibleRunner)")
    parser.add_argument('--compile', action='store_true',
                        help='torch.compile the networks that train (online, '
                        'target, teacher); the first steps are slow')
    parser.add_argument('--channels-last', action='store_true',
                        help='train the networks in NHWC memory layout')
    add_runner_arguments(parser)
    return parse_runner_arguments(parser, argv)


def build_config(args) -> Config:
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        name = osp.splitext(osp.basename(args.config))[0]
        cfg.work_dir = osp.join('./work_dirs', name)
    if args.amp == 'official-fp16':
        cfg.model.network.use_fp16 = True
        cfg.optim_wrapper.type = 'OfficialFP16OptimWrapper'
    elif args.amp:
        dtype = default_amp_dtype() if args.amp == 'auto' else args.amp
        if dtype is None:
            print_log('--amp: this CPU computes neither bf16 nor fp16 '
                      'faster than float32 (no AVX-512 or AMX); training '
                      'in float32', logger='current', level=logging.WARNING)
        else:
            cfg.optim_wrapper.update(type='MixedPrecisionOptimWrapper',
                                     dtype=dtype)
    if args.compile or args.channels_last:
        training = cfg.model.setdefault('training', {})
        training['acceleration'] = dict(
            training.get('acceleration') or {},
            compile=args.compile, channels_last=args.channels_last)
    if args.strategy == 'fsdp':
        cfg.strategy = fsdp_strategy()
        cfg.runner_type = 'FlexibleRunner'
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        cfg.resume, cfg.load_from = True, args.resume
    return cfg


def main(argv=None):
    args = parse_args(argv)
    register_all_modules()
    cfg = build_config(args)
    setup_cpu_distributed(cfg)
    runner_type = FlexibleRunner if cfg.get('runner_type') == (
        'FlexibleRunner') else Runner
    runner = runner_type.from_cfg(cfg)
    runner.train()
    close_distributed()
    return runner


if __name__ == '__main__':
    main()
