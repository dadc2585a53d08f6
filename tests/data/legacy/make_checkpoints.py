"""Write the checkpoints of tests/test_models/test_legacy_checkpoints.py.

Run from the repository root at the commit named in README.md here:
    python tests/data/legacy/make_checkpoints.py

For a digits recipe with a target network (CT) and one with a learned
weighting head (sCT), on a tiny network: train two
iterations and save; then resume that checkpoint in a fresh runner, train
the third iteration and record its loss and the sum of |w| of every
parameter of the model. A later version must resume the same file to the
same numbers (values.json).
"""
import json
import os.path as osp
import shutil
import sys
import tempfile

import torch
from mmengine import Config
from mmengine.logging import MessageHub
from mmengine.runner import Runner

HERE = osp.dirname(osp.abspath(__file__))
REPO = osp.dirname(osp.dirname(osp.dirname(HERE)))
TRAIN = osp.join(REPO, 'configs', 'consistency_models', 'train')
RECIPES = ('cm-ct', 'scm-sct')
TINY = dict(model_channels=32, num_res_blocks=1, channel_mult=(1, ),
            attention_resolutions=(), num_head_channels=32)


def recipe_cfg(recipe: str, work_dir: str, iters: int) -> Config:
    """The digits recipe on the tiny network, batches of 4, ``iters``."""
    cfg = Config.fromfile(
        osp.join(TRAIN, f'{recipe}_adm-unet_1xb32-1k_digits-16x16.py'))
    network_key = 'network' if 'network' in cfg.model else 'unet'
    cfg.model[network_key].update(TINY)
    cfg.work_dir = work_dir
    cfg.train_dataloader.batch_size = 4
    cfg.train_dataloader.num_workers = 0
    cfg.train_dataloader.persistent_workers = False
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=iters)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=2,
                                        by_epoch=False)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.randomness = dict(seed=7)
    cfg.log_level = 'WARNING'
    return cfg


def resumed_values(recipe: str, checkpoint: str, work_dir: str) -> dict:
    """Loss of the third iteration and sum |w| after resuming."""
    cfg = recipe_cfg(recipe, work_dir, 3)
    cfg.resume, cfg.load_from = True, checkpoint
    runner = Runner.from_cfg(cfg)
    runner.train()
    loss = runner.message_hub.log_scalars['train/loss'].data[0][-1]
    total = sum(float(p.detach().double().abs().sum())
                for p in runner.model.parameters())
    MessageHub.get_current_instance().update_info('iter', 0)
    return dict(loss=float(loss), weight_sum=total)


def main() -> None:
    values = {}
    for recipe in RECIPES:
        work_dir = tempfile.mkdtemp()
        Runner.from_cfg(recipe_cfg(recipe, work_dir, 2)).train()
        target = osp.join(HERE, f'{recipe}_iter_2.pth')
        shutil.copy(osp.join(work_dir, 'iter_2.pth'), target)
        values[recipe] = resumed_values(recipe, target, tempfile.mkdtemp())
    with open(osp.join(HERE, 'values.json'), 'w') as f:
        json.dump(values, f, indent=1)
    print(json.dumps(values, indent=1), file=sys.stderr)


if __name__ == '__main__':
    torch.set_num_threads(1)
    main()
