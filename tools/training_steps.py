"""Train a recipe a few steps on fixed data and print what it computed.

The same config, seed and batch give the same per-step losses and weights
on one machine, so running this in two checkouts shows whether a change of
code changes what a recipe trains (bit for bit, or by how much). The batch
is random 16x16 gray pixels (the digits' shape) and the optimizer Adam at the
digits' learning rate; the output is one JSON line: the per-step losses and
the sum of the online network's weights.

Example (a teacher or ``init_from`` checkpoint from
``tools/create_random_checkpoint.py``):
    python tools/training_steps.py \
    configs/consistency_models/train/ect_adm-unet_1xb32-1k_digits-16x16.py \
        --steps 20 --cfg-options model.training.init_from=work_dirs/edm.pt
"""
import argparse
import json

import torch
from mmengine.config import Config, DictAction

from mmcm.utils.cli import quiet_imports

with quiet_imports():
    from mmengine.logging import MessageHub
    from mmengine.optim import build_optim_wrapper

    from mmcm.apis import register_all_modules
    from mmcm.models.labels import balanced_class_labels
    from mmcm.registry import MODELS


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--steps', type=int, default=20)
    parser.add_argument('--batch-size', type=int, default=16)
    parser.add_argument('--lr', type=float, default=5e-4)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(argv)


def fixed_batch(batch_size: int, image_size: int, channels: int) -> dict:
    """Random uint8 pixels and labels ``0..9`` from a fixed generator."""
    pixels = torch.randint(0, 256, (batch_size, channels, image_size,
                                    image_size),
                           generator=torch.Generator().manual_seed(0),
                           dtype=torch.uint8)
    return dict(inputs=dict(img=pixels,
                            labels=balanced_class_labels(batch_size, 10)))


def training_steps(cfg: Config, steps: int, batch_size: int, lr: float,
                   seed: int) -> dict:
    """Per-step losses and the weight sum after ``steps`` Adam steps."""
    torch.manual_seed(seed)
    model = MODELS.build(cfg.model).train()
    wrapper = build_optim_wrapper(model, dict(
        type='OptimWrapper', optimizer=dict(type='Adam', lr=lr)))
    channels, image_size, _ = model.image_shape
    data = fixed_batch(batch_size, image_size, channels)
    hub, losses = MessageHub.get_current_instance(), []
    for step in range(steps):
        hub.update_info('iter', step)
        torch.manual_seed(seed + 100 + step)
        losses.append(model.train_step(data, wrapper)['loss'].item())
        model.update_averages(step)
    weight_sum = sum(p.double().sum().item() for p in model.unet.parameters())
    return dict(losses=losses, weight_sum=weight_sum)


def main(argv=None) -> None:
    args = parse_args(argv)
    register_all_modules()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    result = training_steps(cfg, args.steps, args.batch_size, args.lr,
                            args.seed)
    print(json.dumps(dict(config=args.config, **result)))


if __name__ == '__main__':
    main()
