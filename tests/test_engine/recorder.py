"""Test-only hooks: record losses and weights, or stop a run mid-way."""
import json
import os
import os.path as osp
import signal

from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmcm.registry import HOOKS


@HOOKS.register_module()
class LossRecorderHook(Hook):
    """Append every iteration's loss, and at the end a weight checksum, to
    ``losses_rank{r}.jsonl`` in the work dir. Runs after checkpointing, so
    ``stop_after_iter`` "kills" the run once that iteration is saved."""

    priority = 'LOWEST'

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        self._write(runner, dict(iter=runner.iter,
                                 loss=float(outputs['loss'])))
        stop_at = runner.cfg.get('stop_after_iter')
        if stop_at is not None and runner.iter + 1 == stop_at:
            raise KeyboardInterrupt(f'simulated kill after {stop_at}')

    def after_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        total = sum(float(p.double().sum()) for p in model.unet.parameters())
        target = sum(float(p.double().sum())
                     for p in model.target_unet.parameters())
        self._write(runner, dict(unet_sum=total, target_sum=target))

    @staticmethod
    def _write(runner, record: dict) -> None:
        path = osp.join(runner.work_dir, f'losses_rank{get_rank()}.jsonl')
        with open(path, 'a', encoding='utf-8') as f:
            f.write(json.dumps(record) + '\n')


@HOOKS.register_module()
class SignalAtIterHook(Hook):
    """Send this process ``cfg.signal_name`` after iteration
    ``cfg.signal_after_iter`` (a scheduler's preemption warning), on the
    rank ``cfg.signal_rank`` only when that is set."""

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        rank = runner.cfg.get('signal_rank', get_rank())
        if (runner.iter + 1 == runner.cfg.get('signal_after_iter')
                and rank == get_rank()):
            os.kill(os.getpid(), getattr(signal, runner.cfg.signal_name))


def read_records(work_dir: str, rank: int = 0) -> list:
    path = osp.join(work_dir, f'losses_rank{rank}.jsonl')
    with open(path, encoding='utf-8') as f:
        return [json.loads(line) for line in f]


__all__ = ['LossRecorderHook', 'SignalAtIterHook', 'read_records']
