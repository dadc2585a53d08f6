"""Snapshots of the power-function EMAs, for post-hoc EMA reconstruction."""
import os
import os.path as osp
from typing import Optional

import torch
from mmengine.dist import is_main_process
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from torch.distributed.fsdp import FullyShardedDataParallel

from mmcm.models.posthoc_ema import PowerEMANetworks
from mmcm.registry import HOOKS

SNAPSHOT_NAME = 'phema-{step:07d}-{std:.3f}.pt'


def snapshot_name(step: int, std: float) -> str:
    """``phema-{step:07d}-{std:.3f}.pt``."""
    return SNAPSHOT_NAME.format(step=step, std=std)


def save_snapshots(averages: PowerEMANetworks, out_dir: str) -> list:
    """Write every power-function EMA of ``averages`` to ``out_dir`` as
    ``dict(step=int, gamma=float, std=float, state_dict=tensors)``
    (``torch.load(..., weights_only=True)`` reads it), each through a
    temporary file, so that a run stopped mid-write leaves no torn one.

    Returns:
        The paths written.
    """
    os.makedirs(out_dir, exist_ok=True)
    paths = []
    for std, (step, gamma, state) in zip(averages.stds,
                                         averages.snapshots()):
        path = osp.join(out_dir, snapshot_name(step, std))
        torch.save(dict(step=step, gamma=gamma, std=std, state_dict=state),
                   path + '.tmp')
        os.replace(path + '.tmp', path)
        paths.append(path)
    return paths


@HOOKS.register_module()
class PostHocEMASnapshotHook(Hook):
    """Save snapshots of the power-function EMAs every ``interval``
    iterations (EDM2 post-hoc EMA), to
    ``work_dir/<out_dir>/phema-{step:07d}-{std:.3f}.pt``.

    Needs ``model.training.averages=dict(posthoc_stds=...)``. ``step`` is
    the EMAs' own count of updates (the iteration number, unless fp16
    overflows skipped steps). ``tools/reconstruct_posthoc_ema.py``
    rebuilds an EMA of any other std from the folder. Rank 0 writes.

    Args:
        interval: Iterations between snapshots.
        out_dir: Folder under the work dir.
        save_last: Also save at the end of training, when the last
            iteration is not a multiple of ``interval``.
    """

    priority = 'NORMAL'  # after ConsistencyAveragesHook

    def __init__(self, interval: int, out_dir: str = 'phema',
                 save_last: bool = True):
        if interval < 1:
            raise ValueError(f'interval must be positive, got {interval}')
        self.interval = interval
        self.out_dir = out_dir
        self.save_last = save_last
        self._saved_step: Optional[int] = None

    def before_train(self, runner) -> None:
        if isinstance(runner.model, FullyShardedDataParallel):
            raise TypeError('PostHocEMASnapshotHook does not gather sharded '
                            '(FSDP) EMAs; train with DDP')
        self._averages(runner)

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        if self.every_n_train_iters(runner, self.interval):
            self._save(runner)

    def after_train(self, runner) -> None:
        if self.save_last:
            self._save(runner)

    def _save(self, runner) -> None:
        averages = self._averages(runner)
        step = int(averages.step)
        if step == 0 or step == self._saved_step:
            return
        self._saved_step = step
        if is_main_process():
            save_snapshots(averages, osp.join(runner.work_dir, self.out_dir))

    @staticmethod
    def _averages(runner) -> PowerEMANetworks:
        model = runner.model
        model = model.module if is_model_wrapper(model) else model
        averages = getattr(model, 'ema', None)
        if not isinstance(averages, PowerEMANetworks):
            raise TypeError('PostHocEMASnapshotHook needs power-function '
                            'EMAs: set model.training.averages='
                            'dict(posthoc_stds=(0.05, 0.1))')
        return averages
