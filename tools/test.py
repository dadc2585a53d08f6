"""Generate N images from a checkpoint and score them: FID, IS, PR.

Works with official ``.pt`` checkpoints (sampling configs) and with
checkpoints of our training runs (training configs; EMA weights first).
Writes a JSON summary (metrics, sampling settings, checkpoint, time).

Examples:
    python tools/test.py \
        configs/consistency_models/cd-lpips_adm-unet_2step_imagenet-64x64.py \
        cd_imagenet64_lpips.pt --num-samples 50000
    bash tools/dist_test.sh CONFIG CHECKPOINT 8
"""
import argparse
import json
import logging
import os
import os.path as osp
import time

from mmengine.config import Config
from mmengine.dist import get_world_size, is_main_process
from mmengine.logging import print_log

from mmcm.utils import setup_cpu_distributed
from mmcm.utils.cli import (add_runner_arguments, parse_runner_arguments,
                            quiet_imports)

with quiet_imports():
    from mmengine.runner import Runner

    from mmcm.apis import register_all_modules
    from mmcm.apis.inference import load_weights, sampling_model_cfg
    from mmcm.evaluation import find_softmax_weights
    from mmcm.models.sampling import SAMPLERS

METRIC_TYPES = dict(FID='FrechetInceptionDistance', IS='InceptionScore',
                    PR='PrecisionRecall', SD='SmallDataMetrics')
# Metrics whose ``reference`` is an image set that --reference may replace
# (SmallDataMetrics' is a held-out dataset split, set in its config).
IMAGE_REFERENCE_METRICS = ('FrechetInceptionDistance', 'PrecisionRecall')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Sample from a checkpoint and compute FID, IS, PR '
        'or the small-data metrics')
    parser.add_argument('config', help='sampling or training config')
    parser.add_argument('checkpoint', help='official .pt or mmengine .pth')
    parser.add_argument('--work-dir', help='logs, grids and the JSON')
    parser.add_argument('--out', help='JSON summary path (default: '
                        'WORK_DIR/metrics_<time>.json)')
    parser.add_argument('--num-samples', type=int,
                        help='images to generate (config: 50,000)')
    parser.add_argument('--batch-size', type=int, help='images a process '
                        'generates at once')
    parser.add_argument('--reference', help='reference set: .npz with '
                        'mu/sigma or images, image folder')
    parser.add_argument('--metrics', nargs='+', choices=sorted(METRIC_TYPES),
                        help="metrics to compute (default: the config's; "
                        'SD: SmallDataMetrics, for the digits)')
    parser.add_argument('--sampler', choices=sorted(SAMPLERS))
    parser.add_argument('--steps', type=int, help='Karras grid size')
    parser.add_argument('--ts', help='multistep indices, e.g. 0,22,39')
    parser.add_argument('--seed', type=int, help='noise seed')
    add_runner_arguments(parser)
    return parse_runner_arguments(parser, argv)


def sampling_overrides(args) -> dict:
    """Sampling options given on the command line."""
    options = dict(sampler=args.sampler, steps=args.steps, seed=args.seed)
    if args.ts:
        options['ts'] = tuple(int(t) for t in args.ts.split(','))
    return {k: v for k, v in options.items() if v is not None}


def select_metrics(evaluator: list, args) -> list:
    """The config's metrics, filtered by ``--metrics``, with ``--reference``.

    The Inception Score is dropped with a warning when the Inception
    softmax layer it needs cannot be found and it was not asked for.
    """
    wanted = {METRIC_TYPES[name] for name in args.metrics or []}
    if wanted:
        present = {metric['type'] for metric in evaluator}
        if 'SmallDataMetrics' in wanted - present:
            raise ValueError('SmallDataMetrics needs its training and '
                             'held-out splits: use a config whose '
                             'test_evaluator has it (digits configs do)')
        evaluator = evaluator + [dict(type=t) for t in sorted(wanted)
                                 if t not in present]
        evaluator = [m for m in evaluator if m['type'] in wanted]
    selected = []
    for metric in evaluator:
        if args.reference and metric['type'] in IMAGE_REFERENCE_METRICS:
            metric = dict(metric, reference=args.reference)
        if (metric['type'] == 'InceptionScore' and 'IS' not in
                (args.metrics or []) and not metric.get('softmax_weights')):
            try:
                find_softmax_weights()
            except FileNotFoundError as err:
                print_log(f'skipping the Inception Score: {err}',
                          logger='current', level=logging.WARNING)
                continue
        selected.append(metric)
    if not selected:
        raise ValueError('no metric to compute')
    return selected


def build_config(args) -> Config:
    cfg = Config.fromfile(args.config)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if 'test_evaluator' not in cfg or 'test_dataloader' not in cfg:
        raise ValueError(f'{args.config} defines no test_dataloader/'
                         'test_evaluator; inherit '
                         'configs/_base_/evaluation/generation.py and a '
                         "data set's configs/_base_/evaluation/*.py")
    cfg.launcher = args.launcher
    cfg.model = sampling_model_cfg(cfg.model)
    cfg.model.setdefault('sampling_cfg', {}).update(sampling_overrides(args))
    cfg.test_evaluator = select_metrics(list(cfg.test_evaluator), args)
    if args.num_samples:
        cfg.test_dataloader.dataset.num_samples = args.num_samples
    if args.batch_size:
        cfg.test_dataloader.batch_size = args.batch_size
    cfg.work_dir = args.work_dir or cfg.get('work_dir') or osp.join(
        './work_dirs', osp.splitext(osp.basename(args.config))[0])
    cfg.load_from, cfg.resume = None, False
    return cfg


def summary(cfg: Config, args, metrics: dict, seconds: float) -> dict:
    return dict(
        config=args.config,
        checkpoint=args.checkpoint,
        num_samples=cfg.test_dataloader.dataset.num_samples,
        world_size=get_world_size(),
        sampling=cfg.model.get('sampling_cfg', {}),
        metrics={k: float(v) for k, v in metrics.items()},
        seconds=round(seconds, 1))


def main(argv=None) -> dict:
    args = parse_args(argv)
    register_all_modules()
    cfg = build_config(args)
    setup_cpu_distributed(cfg)
    runner = Runner.from_cfg(cfg)
    model = getattr(runner.model, 'module', runner.model)
    load_weights(model, args.checkpoint)
    start = time.time()
    metrics = runner.test()
    result = summary(cfg, args, metrics, time.time() - start)
    if is_main_process():
        out = args.out or osp.join(
            cfg.work_dir, f'metrics_{runner.timestamp}.json')
        os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
        with open(out, 'w') as f:
            json.dump(result, f, indent=2, default=str)
        print_log(f'metrics {result["metrics"]} written to {out}',
                  logger='current')
    return result


if __name__ == '__main__':
    main()
