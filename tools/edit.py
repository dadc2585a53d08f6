"""Zero-shot editing with a consistency model checkpoint.

Tasks: ``inpaint`` (with ``--mask``), ``colorize``, ``superres`` (with
``--factor`` or low-resolution inputs), ``stroke`` (SDEdit-style generation
from a painting) and ``interpolate`` (between the one-step samples of two
seeds). Writes one PNG per result and ``{task}_grid.png``: per input, the
input, what the model keeps of it, then the results.

Example (the bundled digits model):
    python tools/edit.py \
        configs/consistency_models/digits/cm-ct_adm-unet_1step_digits-16x16.py\
        checkpoints/cm-ct_digits-16x16.pt --task inpaint \
        --images demo/resources/digits/digit_*.png --mask center --zoom 4
"""
import argparse
import os
import os.path as osp
import sys

import numpy as np
from mmengine.config import DictAction

from mmcm.utils import get_logger
from mmcm.utils.cli import add_model_arguments, int_list, quiet_imports
from mmcm.visualization import make_image_grid, save_image

with quiet_imports():
    from mmcm.apis import (CheckpointError, edit_images, init_model,
                           interpolate, load_image, load_mask)
    from mmcm.datasets.transforms import CenterCropADM
    from mmcm.models.editing import EDIT_TASKS

TASKS = EDIT_TASKS + ('interpolate', )



def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='Zero-shot editing with a consistency model')
    add_model_arguments(parser)
    parser.add_argument('--task', required=True, choices=TASKS)
    parser.add_argument('--images', nargs='+', default=[],
                        help='input image files (all tasks but interpolate)')
    parser.add_argument('--mask', help='inpaint: a mask image (white = '
                        'generate) or center, left, right, top, bottom')
    parser.add_argument('--factor', type=int,
                        help='superres: patch size whose means are kept')
    parser.add_argument('--resize', action='store_true',
                        help='ADM centre-crop inputs to the model size')
    parser.add_argument('--num-variants', type=int, default=1,
                        help='results per input (different noise)')
    parser.add_argument('--seeds', type=int, nargs=2, default=(0, 1),
                        help='interpolate: the two endpoint seeds')
    parser.add_argument('--num-frames', type=int, default=8,
                        help='interpolate: frames from one seed to the other')
    parser.add_argument('--class-labels', type=int_list,
                        help='one label, or one per input image')
    parser.add_argument('--seed', type=int, help='noise (and label) seed')
    parser.add_argument('--steps', type=int, help='points of the Karras grid')
    parser.add_argument('--ts', type=int_list,
                        help='grid indices, ending at steps - 1')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--out-dir', default='work_dirs/edit')
    parser.add_argument('--zoom', type=int, default=1,
                        help='enlarge the grid by pixel repetition')
    parser.add_argument('--no-progress', action='store_true')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value')
    return parser.parse_args(argv)


def read_inputs(args, image_size: int) -> list:
    """The input images, centre-cropped to ``image_size`` if asked."""
    if not args.images:
        raise ValueError(f'{args.task} needs --images')
    images = [load_image(path) for path in args.images]
    if args.resize:
        crop = CenterCropADM(image_size)
        images = [crop.transform(dict(img=image))['img'] for image in images]
    return images


def repeat_labels(labels, num_inputs: int, num_variants: int):
    """One label per input becomes one per result."""
    if labels and len(labels) == num_inputs and num_variants > 1:
        return list(np.repeat(labels, num_variants))
    return labels


def run_edit(args, model) -> tuple:
    image_size = model.image_shape[-1]
    images = read_inputs(args, image_size)
    mask = None if args.mask is None else load_mask(args.mask, image_size)
    batch = [image for image in images for _ in range(args.num_variants)]
    result = edit_images(
        model, args.task, batch, mask=mask, factor=args.factor,
        class_labels=repeat_labels(args.class_labels, len(images),
                                   args.num_variants),
        seed=args.seed, steps=args.steps,
        ts=tuple(args.ts) if args.ts else None,
        progress=not args.no_progress)
    stems = [osp.splitext(osp.basename(p))[0] for p in args.images]
    names = [f'{stem}_{args.task}' + (f'_{k}' if args.num_variants > 1
                                      else '')
             for stem in stems for k in range(args.num_variants)]
    rows = []
    for i in range(len(images)):
        block = slice(i * args.num_variants, (i + 1) * args.num_variants)
        given = result.observations[block][:1]
        rows.append(np.concatenate([as_rgb(images[i], given),
                                    given, result.images[block]]))
    return names, result.images, np.concatenate(rows), 2 + args.num_variants


def as_rgb(image: np.ndarray, like: np.ndarray) -> np.ndarray:
    """An input as a ``(1, H, W, C)`` grid cell of the results' shape."""
    image = image if image.ndim == 3 else image[..., None]
    image = np.broadcast_to(image, image.shape[:2] + (like.shape[-1], ))
    if image.shape[:2] != like.shape[1:3]:
        factor = like.shape[1] // image.shape[0]
        image = image.repeat(factor, 0).repeat(factor, 1)
    return image[None]


def run_interpolate(args, model) -> tuple:
    labels = args.class_labels
    if labels and len(labels) != 1:
        raise ValueError('interpolate takes one class label')
    result = interpolate(model, tuple(args.seeds), args.num_frames,
                         class_label=labels[0] if labels else None)
    names = [f'interpolate_{i:02d}' for i in range(len(result.images))]
    return names, result.images, result.images, len(result.images)


def main(argv=None) -> int:
    args = parse_args(argv)
    logger = get_logger()
    try:
        if args.num_variants < 1 or args.zoom < 1:
            raise ValueError('--num-variants and --zoom must be positive')
        model = init_model(args.config, args.checkpoint, device=args.device,
                           cfg_options=args.cfg_options)
        runner = run_interpolate if args.task == 'interpolate' else run_edit
        names, results, cells, columns = runner(args, model)
    except (CheckpointError, ValueError, FileNotFoundError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    os.makedirs(args.out_dir, exist_ok=True)
    for name, image in zip(names, results):
        save_image(image, osp.join(args.out_dir, f'{name}.png'))
    grid = make_image_grid(np.ascontiguousarray(cells), num_columns=columns)
    grid = grid.repeat(args.zoom, 0).repeat(args.zoom, 1)
    grid_path = osp.join(args.out_dir, f'{args.task}_grid.png')
    save_image(grid, grid_path)
    logger.info(f'saved {len(results)} {args.task} results and {grid_path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
