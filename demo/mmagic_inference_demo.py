"""Generate images with consistency models, mmagic's demo conventions.

The same options as mmagic's ``demo/mmagic_inference_demo.py``. The model
comes from ``configs/consistency_models/metafile.yml``: ``--model-setting``
is an index into it, ``--config-name`` one of its names (see
``--print-supported-models``); ``--model-config``/``--model-ckpt`` replace
the config or the weights. With mmagic installed the run goes through
mmagic's ``MMagicInferencer``; without it, through :mod:`mmcm.apis`.

Examples:
    python demo/mmagic_inference_demo.py --model-name consistency_models \
        --config-name cd-lpips_imagenet-64x64 --label 145 \
        --extra-parameters sampler=onestep num_batches=16 \
        --result-out-dir work_dirs/demo/cd_imagenet64.png

    python demo/mmagic_inference_demo.py --model-name consistency_models \
        --model-config configs/consistency_models/tiny/\
cm_adm-unet_2step_tiny-32x32.py --model-ckpt tiny.pt --device cpu
"""
import argparse
import sys
import warnings
from typing import Optional, Sequence

import numpy as np
import torch
from mmengine.config import DictAction

from mmcm.utils.cli import quiet_imports
from mmcm.visualization import save_image_grid

with quiet_imports():
    from mmcm.apis import CheckpointError, generate_samples, init_model
    from mmcm.apis.inferencers import (MODEL_NAME, describe_settings,
                                       register_mmagic_inferencer,
                                       resolve_model, result_path)

ERRORS = (CheckpointError, FileNotFoundError, ValueError)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    """mmagic's demo options that apply to generation."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--model-name', default=MODEL_NAME,
                        choices=[MODEL_NAME], help='pretrained algorithm')
    parser.add_argument('--model-setting', type=int,
                        help='index of a setting in the metafile '
                        '(default 0)')
    parser.add_argument('--config-name',
                        help='name (or alias) of a setting in the metafile')
    parser.add_argument('--model-config', help='config file to use instead')
    parser.add_argument('--model-ckpt',
                        help='checkpoint (path or URL) to use instead')
    parser.add_argument('--label', type=int, nargs='+',
                        help='class label for all images, or one per image; '
                        'default: seeded random labels')
    parser.add_argument('--seed', type=int, default=2022,
                        help='seed of the noise and of random labels')
    parser.add_argument('--device',
                        help='device (default: cuda if available, else cpu)')
    parser.add_argument('--result-out-dir',
                        default=f'work_dirs/demo/{MODEL_NAME}.png',
                        help='image file for the grid, or a folder')
    parser.add_argument('--extra-parameters', nargs='+', action=DictAction,
                        help='num_batches=N and sampling options, e.g. '
                        'sampler=onestep or sampler=multistep ts=0,22,39')
    parser.add_argument('--print-supported-models', action='store_true',
                        help='list the supported models and settings')
    return parser.parse_args(argv)


def mmagic_available() -> bool:
    """Whether mmagic's inferencer API can be imported.

    Its dependencies' deprecation warnings at import are silenced: users can
    do nothing about them and they would bury the demo's own messages.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            import mmagic.apis  # noqa: F401
    except (ImportError, AssertionError, OSError):  # absent or mismatched
        return False
    return True


def print_supported_models() -> None:
    """mmagic's model names (if installed) and our metafile settings."""
    if mmagic_available():
        from mmagic.apis import MMagicInferencer
        register_mmagic_inferencer()
        print('all supported models:')
        print(MMagicInferencer.get_inference_supported_models())
    print(f'{MODEL_NAME} settings (--model-setting INDEX or --config-name '
          'NAME):')
    print('\n'.join(describe_settings()))


def sample_with_mmagic(args: argparse.Namespace, out_path: str) -> None:
    """Run mmagic's ``MMagicInferencer``, which writes the grid."""
    from mmagic.apis import MMagicInferencer
    register_mmagic_inferencer()
    editor = MMagicInferencer(
        model_name=args.model_name, model_setting=args.model_setting,
        config_name=args.config_name, model_config=args.model_config,
        model_ckpt=args.model_ckpt, device=args.device,
        extra_parameters=args.extra_parameters, seed=args.seed)
    editor.infer(label=args.label, result_out_dir=out_path)


def sample_with_mmcm(args: argparse.Namespace, config: str, ckpt: str,
                     out_path: str) -> np.ndarray:
    """The same samples through :mod:`mmcm.apis` alone; writes the grid."""
    options = dict(args.extra_parameters or {})
    num_images = int(options.pop('num_batches', 4))
    if 'seed' in options:
        raise ValueError('set the seed with --seed, not as an extra '
                         'parameter')
    model = init_model(config, ckpt, device=args.device)
    images, _ = generate_samples(model, num_images, num_images,
                                 class_labels=args.label, progress=False,
                                 seed=args.seed, **options)
    save_image_grid(images, out_path)
    return images


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the demo; returns the exit code (1 with a one-line error)."""
    args = parse_args(argv)
    if args.device is None:
        args.device = 'cuda' if torch.cuda.is_available() else 'cpu'
    try:
        if args.print_supported_models:
            print_supported_models()
            return 0
        config, ckpt = resolve_model(args.model_setting, args.config_name,
                                     args.model_config, args.model_ckpt)
        if ckpt is None:
            raise ValueError(f'no weights are listed for {config}; pass '
                             '--model-ckpt')
        out_path = result_path(args.result_out_dir)
        if mmagic_available():
            sample_with_mmagic(args, out_path)
        else:
            sample_with_mmcm(args, config, ckpt, out_path)
    except ERRORS as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    print(f'saved the samples of {config} to {out_path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
