"""Write an official-format checkpoint with random weights for a config.

The file is a plain UNet ``state_dict`` saved with ``torch.save``, exactly the
format of OpenAI's released ``.pt`` files. Layers the official code
initialises to zero are filled with small random values too, so the samples
are not trivially constant.

Example:
    python tools/create_random_checkpoint.py \
        configs/consistency_models/tiny/cm_adm-unet_2step_tiny-32x32.py \
        work_dirs/tiny_random.pt
"""
import argparse
import os
import os.path as osp

import torch
from mmengine import Config

from mmcm.apis import random_unet_state_dict


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='config whose model.network is used')
    parser.add_argument('out', help='output .pt path')
    parser.add_argument('--seed', type=int, default=0, help='weights seed')
    parser.add_argument('--std', type=float, default=0.05,
                        help='std of the weights of zero-initialised layers')
    return parser.parse_args()


def main():
    args = parse_args()
    cfg = Config.fromfile(args.config)
    state = random_unet_state_dict(cfg.model.network, args.seed, args.std)
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    torch.save(state, args.out)
    print(f'wrote {len(state)} tensors to {args.out}')


if __name__ == '__main__':
    main()
