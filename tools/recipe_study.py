"""Compare training recipes at one wall-clock budget on the digits.

Each recipe (a config plus ``--cfg-options``, under a ``--name``) is first
timed alone (``calibrate``: seconds per iteration on this machine), then
trained for the iterations that fit ``--budget`` seconds, its curriculum
scaled with it (``run``). The weights (EMA or online) and the two-step
middle step are chosen on the training split; the one- and two-step samples
are then scored against the held-out split by the config's
``SmallDataMetrics``, over several sampling seeds. A checkpoint trained
elsewhere (an official-format ``.pt``) is scored the same way (``score``).
Every run appends one JSON line to ``--results``; ``table`` prints them.

Example:
    python tools/recipe_study.py calibrate CONFIG --name ct
    python tools/recipe_study.py run CONFIG --name ct --seeds 0 1 2
    python tools/recipe_study.py table work_dirs/study/results.jsonl
"""
import argparse
import json
import os
import os.path as osp

import torch
from mmengine.config import Config, DictAction

from mmcm.utils.cli import quiet_imports

with quiet_imports():
    from mmengine.logging import print_log
    from mmengine.runner import Runner

    from mmcm.analysis.study import (choose_sampling, fit_to_budget,
                                     mean_and_spread, score_runs,
                                     seconds_per_iteration)
    from mmcm.apis import (extract_unet_state_dict, init_model,
                           load_checkpoint_file, register_all_modules)
    from mmcm.registry import METRICS

WORK_DIR = 'work_dirs/study'
COLUMNS = ('FD', 'CS', 'accuracy', 'variance_ratio', 'copy_rate')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    commands = parser.add_subparsers(dest='command', required=True)
    for name in ('calibrate', 'run', 'score'):
        sub = commands.add_parser(name)
        sub.add_argument('config')
        sub.add_argument('--name', required=True, help='row of the study')
        sub.add_argument('--cfg-options', nargs='+', action=DictAction)
        sub.add_argument('--work-dir', default=WORK_DIR)
        sub.add_argument('--threads', type=int,
                         help='torch threads (default: torch decides)')
    commands.choices['calibrate'].add_argument('--iterations', type=int,
                                               default=30)
    commands.choices['run'].add_argument('--seeds', type=int, nargs='+',
                                         default=[0])
    commands.choices['run'].add_argument('--budget', type=float, default=600,
                                         help='seconds of training')
    commands.choices['run'].add_argument(
        '--iterations', type=int,
        help='train this many iterations instead of the calibrated budget '
        '(e.g. more seeds of a row calibrated on another day)')
    commands.choices['score'].add_argument('checkpoint')
    commands.choices['score'].add_argument('--seed', type=int, default=0,
                                           help='its training seed')
    commands.choices['score'].add_argument('--iterations', type=int)
    for name in ('run', 'score'):
        commands.choices[name].add_argument(
            '--sampling-seeds', type=int, nargs='+', default=[0, 1, 2])
        commands.choices[name].add_argument('--num-samples', type=int,
                                            default=500)
    table = commands.add_parser('table')
    table.add_argument('results', nargs='?',
                       default=osp.join(WORK_DIR, 'results.jsonl'))
    return parser.parse_args(argv)


def load_recipe(args) -> Config:
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    return cfg


def calibration_file(work_dir: str) -> str:
    return osp.join(work_dir, 'calibration.json')


def calibrate(args) -> None:
    """Record the recipe's seconds per iteration (run it alone)."""
    seconds = seconds_per_iteration(load_recipe(args), args.iterations)
    path = calibration_file(args.work_dir)
    table = json.load(open(path)) if osp.exists(path) else {}
    table[args.name] = seconds
    os.makedirs(args.work_dir, exist_ok=True)
    json.dump(table, open(path, 'w'), indent=1, sort_keys=True)
    print_log(f'{args.name}: {seconds:.4f} s/iteration', logger='current')


def budget_iterations(args) -> int:
    path = calibration_file(args.work_dir)
    table = json.load(open(path)) if osp.exists(path) else {}
    if args.name not in table:
        raise SystemExit(f'{args.name!r} is not calibrated: run '
                         f'`recipe_study.py calibrate ... --name {args.name}`')
    return int(args.budget / table[args.name])


def train(cfg: Config, iterations: int, seed: int, work_dir: str) -> str:
    """Train ``cfg`` fitted to ``iterations``; the last checkpoint."""
    cfg = fit_to_budget(cfg, iterations)
    cfg.randomness = dict(seed=seed)
    cfg.work_dir = work_dir
    Runner.from_cfg(cfg).train()
    return osp.join(work_dir, f'iter_{iterations}.pth')


def export_weights(checkpoint: str) -> dict:
    """Official-format ``.pt`` files of the EMA and online UNets."""
    state = load_checkpoint_file(checkpoint)
    paths = {}
    for weights in ('ema', 'online'):  # without an EMA, 'ema' is online
        paths[weights] = checkpoint.replace('.pth', f'_{weights}.pt')
        torch.save(extract_unet_state_dict(state, weights=weights),
                   paths[weights])
    return paths


def evaluate(cfg: Config, weights: dict, args) -> dict:
    """Choose on the training split, score on the held-out split."""
    metric = METRICS.build(cfg.val_evaluator[0])
    models = {name: init_model(cfg, path) for name, path in weights.items()}
    chosen = choose_sampling(models, metric, args.num_samples)
    scores = score_runs(models[chosen['weights']], metric,
                        args.sampling_seeds, chosen['middle'],
                        args.num_samples)
    return dict(chosen, scores=scores)


def append_row(args, row: dict) -> None:
    os.makedirs(args.work_dir, exist_ok=True)
    with open(osp.join(args.work_dir, 'results.jsonl'), 'a') as file:
        file.write(json.dumps(row) + '\n')
    print_log(json.dumps(row), logger='current')


def run(args) -> None:
    cfg = load_recipe(args)
    iterations = args.iterations or budget_iterations(args)
    for seed in args.seeds:
        work_dir = osp.join(args.work_dir, args.name, f'seed{seed}')
        checkpoint = train(cfg, iterations, seed, work_dir)
        row = evaluate(cfg, export_weights(checkpoint), args)
        append_row(args, dict(row, name=args.name, config=args.config,
                              cfg_options=args.cfg_options, seed=seed,
                              iterations=iterations, budget=args.budget))


def score(args) -> None:
    cfg = load_recipe(args)
    row = evaluate(cfg, dict(online=args.checkpoint), args)
    append_row(args, dict(row, name=args.name, config=args.config,
                          checkpoint=args.checkpoint, seed=args.seed,
                          iterations=args.iterations))


def markdown_table(rows: list) -> str:
    """One line per name: mean ± sd over training seeds of the per-run
    mean over sampling seeds (one training seed: sd over sampling seeds)."""
    names = list(dict.fromkeys(row['name'] for row in rows))
    header = ['recipe', 'seeds', 'iters'] + [
        f'{mode} {column}' for mode in ('1-step', '2-step')
        for column in COLUMNS]
    lines = ['| ' + ' | '.join(header) + ' |',
             '|' + '---|' * len(header)]
    for name in names:
        runs = [row for row in rows if row['name'] == name]
        cells = [name, str(len(runs)), str(runs[0].get('iterations'))]
        for mode in ('onestep', 'twostep'):
            for column in COLUMNS:
                values = [run['scores'][mode][column] for run in runs]
                if len(runs) > 1:
                    values = [sum(v) / len(v) for v in values]
                else:
                    values = values[0]
                cells.append(mean_and_spread(values))
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def main(argv=None):
    args = parse_args(argv)
    if args.command == 'table':
        rows = [json.loads(line) for line in open(args.results)]
        print(markdown_table(rows))
        return
    if args.threads:
        torch.set_num_threads(args.threads)
    register_all_modules()
    dict(calibrate=calibrate, run=run, score=score)[args.command](args)


if __name__ == '__main__':
    main()
