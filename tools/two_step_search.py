"""Find the middle index of a two-step ``ts`` that minimises FID.

Two-step sampling denoises at ``ts = (begin, t, end)`` on the Karras grid of
``--steps`` levels; like the official ``scripts/ternary_search.py``, this
ternary-searches ``t`` in ``(begin, end)`` by the FID of ``--num-samples``
images (10,000 by default), then prints and saves the best ``ts``.

Example:
    python tools/two_step_search.py \
        configs/consistency_models/cd-lpips_adm-unet_2step_imagenet-64x64.py \
        cd_imagenet64_lpips.pt --reference VIRTUAL_imagenet64_labeled.npz
"""
import argparse
import json
import os
import os.path as osp

import torch
from mmengine.config import Config
from mmengine.logging import print_log

from mmcm.utils.cli import quiet_imports

with quiet_imports():
    from mmcm.apis import evaluate_model, init_model, ternary_search
    from mmcm.registry import METRICS


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='sampling or training config')
    parser.add_argument('checkpoint', help='official .pt or mmengine .pth')
    parser.add_argument('--reference', help='reference set (default: the '
                        "config's FID reference)")
    parser.add_argument('--num-samples', type=int, default=10000)
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--steps', type=int, default=40,
                        help='Karras grid size')
    parser.add_argument('--begin', type=int, default=0)
    parser.add_argument('--end', type=int, help='default: steps - 1')
    parser.add_argument('--device', help='default: cuda when available')
    parser.add_argument('--dtype', choices=['fp32', 'fp16', 'bf16'])
    parser.add_argument('--out', help='JSON with every score and the best ts')
    return parser.parse_args(argv)


def fid_metric(cfg: Config, reference: str = None):
    """The config's FID metric, or one against ``reference``."""
    evaluator = [m for m in cfg.get('test_evaluator') or []
                 if m['type'] == 'FrechetInceptionDistance']
    metric = dict(evaluator[0]) if evaluator else dict(
        type='FrechetInceptionDistance')
    if reference:
        metric['reference'] = reference
    if 'reference' not in metric:
        raise ValueError('no FID reference in the config: pass --reference')
    return METRICS.build(metric)


def main(argv=None) -> dict:
    args = parse_args(argv)
    end = args.steps - 1 if args.end is None else args.end
    if not 0 <= args.begin < end - 1 < args.steps - 1:
        raise ValueError(f'need 0 <= begin < end - 1 and end < steps; got '
                         f'begin={args.begin}, end={end}, steps={args.steps}')
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    model = init_model(args.config, args.checkpoint, device, args.dtype)
    metric = fid_metric(model.cfg, args.reference)
    # the label policy of the config's test set (digits: balanced)
    test_set = model.cfg.get('test_dataloader', {}).get('dataset', {})
    balanced = bool(test_set.get('balanced_labels', False))
    scores = {}

    def fid_at(middle: int) -> float:
        ts = (args.begin, middle, end)
        result = evaluate_model(model, [metric], args.num_samples,
                                args.batch_size, balanced_labels=balanced,
                                sampler='multistep', steps=args.steps, ts=ts)
        scores[middle] = result['FID']
        return result['FID']

    best = ternary_search(fid_at, args.begin + 1, end - 1,
                          log=lambda msg: print_log(msg, logger='current'))
    result = dict(config=args.config, checkpoint=args.checkpoint,
                  steps=args.steps, ts=[args.begin, best, end],
                  fid=scores[best], num_samples=args.num_samples,
                  scores={str(k): v for k, v in sorted(scores.items())})
    print_log(f'best ts {tuple(result["ts"])}: FID {scores[best]:.4f}',
              logger='current')
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(result, f, indent=2)
    return result


if __name__ == '__main__':
    main()
