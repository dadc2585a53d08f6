"""Data-loading speed per format: images/s of the training dataloader.

Writes the same images (ImageNet-64-like JPEGs) as an image folder, tar
shards, an LMDB database and a downsampled-ImageNet batch, then times a
shuffling dataloader over each with its base config's pipeline, for each
worker count, and prints a Markdown table with the ratio to the image
folder at the same worker count and what a recipe consumes: its batch
(from the config) times the training steps per second you give.

Example:
    python tools/benchmark_data.py --workers 0 2 --out data_speed.json \
        --recipe configs/consistency_models/train/\
cm-cd-lpips_adm-unet_8xb256-600k_imagenet-64x64.py --steps-per-second 2
"""
import argparse
import json
import tempfile

from mmcm.utils.cli import quiet_imports

with quiet_imports():
    from mmengine.config import Config

    from mmcm.apis import register_all_modules
    from mmcm.analysis.data_benchmark import FORMATS, benchmark_formats


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--workers', type=int, nargs='+', default=[0, 2])
    parser.add_argument('--batch-size', type=int, default=256)
    parser.add_argument('--batches', type=int, default=8,
                        help='timed batches per row (after one warm-up)')
    parser.add_argument('--images', type=int, default=4096,
                        help='images written in each format')
    parser.add_argument('--repeats', type=int, default=3,
                        help='rounds per row, interleaved over the formats; '
                        'the median is reported')
    parser.add_argument('--formats', nargs='+', choices=list(FORMATS))
    parser.add_argument('--recipe', help='a training config: its per-GPU '
                        'batch sets the consumption row')
    parser.add_argument('--steps-per-second', type=float, default=1.0,
                        help="the recipe's training steps/s on one GPU")
    parser.add_argument('--root', help='where to write the images '
                        '(a temporary folder by default)')
    parser.add_argument('--out', help='JSON record path')
    return parser.parse_args(argv)


def table(rows, needed=None) -> str:
    folder = {r['workers']: r['images_per_second'] for r in rows
              if r['format'] == 'folder'}
    lines = ['| format | workers | images/s (median) | rounds | vs. folder |',
             '| :-- | --: | --: | :-- | --: |']
    for r in rows:
        base = folder.get(r['workers'])
        ratio = f"{r['images_per_second'] / base:.2f}" if base else ''
        rounds = ', '.join(f'{v:.0f}' for v in r['runs'])
        lines.append(f"| {r['format']} | {r['workers']} | "
                     f"{r['images_per_second']:.0f} | {rounds} | {ratio} |")
    if needed:
        lines.append(f"| consumed by the recipe | | {needed:.0f} | | |")
    return '\n'.join(lines)


def main(argv=None) -> list:
    args = parse_args(argv)
    register_all_modules()
    with tempfile.TemporaryDirectory() as tmp:
        rows = benchmark_formats(args.root or tmp, workers=args.workers,
                                 batch_size=args.batch_size,
                                 batches=args.batches, count=args.images,
                                 kinds=args.formats, repeats=args.repeats)
    needed = None
    if args.recipe:
        batch = Config.fromfile(args.recipe).train_dataloader.batch_size
        needed = batch * args.steps_per_second
    print(table(rows, needed))
    if args.out:
        with open(args.out, 'w', encoding='utf-8') as f:
            json.dump(dict(rows=rows, batch_size=args.batch_size,
                           consumed=needed,
                           steps_per_second=args.steps_per_second), f,
                      indent=1)
    return rows


if __name__ == '__main__':
    main()
