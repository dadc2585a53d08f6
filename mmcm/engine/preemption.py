"""Preemption-safe training: checkpoint at the next iteration on a signal.

A shared cluster stops a job with SIGTERM (and slurm warns with the signal
of ``--signal``, SIGUSR1 by convention) some time before killing it. With
:class:`PreemptionHook` the run finishes the iteration in flight, saves a
checkpoint of it (weights, optimizer, schedulers, averages, random streams,
logger windows) through the run's ``CheckpointHook`` and exits with
:data:`PREEMPTED_EXIT_CODE`; ``tools/train.py --resume`` continues from it
exactly, and ``tools/slurm_train.sh`` requeues a job that exits with it.
"""
import signal
import threading
from typing import Optional, Sequence

import torch
from mmengine.dist import all_reduce, barrier, get_world_size
from mmengine.hooks import CheckpointHook, Hook

from mmcm.registry import HOOKS

from .hooks import collective_device

#: ``EX_TEMPFAIL`` of ``sysexits.h``: stopped early, rerun to continue.
PREEMPTED_EXIT_CODE = 75


class Preempted(SystemExit):
    """Raised once the preemption checkpoint is saved on every rank."""

    def __init__(self, signal_name: str, checkpoint: str):
        super().__init__(PREEMPTED_EXIT_CODE)
        self.signal_name = signal_name
        self.checkpoint = checkpoint


@HOOKS.register_module()
class PreemptionHook(Hook):
    """Save and exit at the next iteration boundary after a stop signal.

    The signal handler only records the signal; ``after_train_iter`` (after
    every other hook, so the iteration's averages and logs are complete)
    asks all ranks whether any of them was signalled, so that they save the
    same iteration together, then raises :class:`Preempted` (exit code 75).

    Args:
        signals: Names of the signals that request a stop.
    """

    priority = 'LOWEST'

    def __init__(self, signals: Sequence[str] = ('SIGTERM', 'SIGUSR1')):
        self.signals = [getattr(signal, name) for name in signals]
        self.received: Optional[int] = None
        self._previous: dict = {}

    def before_train(self, runner) -> None:
        if threading.current_thread() is not threading.main_thread():
            runner.logger.warning('PreemptionHook: not in the main thread, '
                                  'stop signals are left as they are')
            return
        for number in self.signals:
            self._previous[number] = signal.signal(number, self._record)

    def after_train(self, runner) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)
        self._previous.clear()

    def _record(self, number, frame) -> None:
        self.received = number

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        number = self._agreed_signal()
        if number is None:
            return
        name = signal.Signals(number).name
        step = runner.iter + 1
        runner.logger.warning(f'{name} received: saving iteration {step} '
                              f'and exiting with {PREEMPTED_EXIT_CODE}')
        path = save_now(runner, step, meta=dict(preempted_by=name))
        barrier()  # no rank exits before rank 0 has written the file
        self.after_train(runner)
        raise Preempted(name, path)

    def _agreed_signal(self) -> Optional[int]:
        """The signal any rank received (the largest number), or ``None``."""
        number = self.received or 0
        if get_world_size() > 1:
            flag = torch.tensor([number], dtype=torch.int64,
                                device=collective_device())
            all_reduce(flag, op='max')
            number = int(flag.item())
        return number or None


def save_now(runner, step: int, meta: dict) -> str:
    """Save iteration ``step`` as the run's ``CheckpointHook`` would.

    Going through the hook keeps its file names, ``max_keep_ckpts``
    bookkeeping and the ``last_checkpoint`` file that ``--resume`` reads. A
    checkpoint the hook has already written for ``step`` is kept as it is.
    """
    hook = next((h for h in runner.hooks if isinstance(h, CheckpointHook)),
                None)
    if hook is None:
        raise RuntimeError('PreemptionHook needs a CheckpointHook')
    path = hook.file_backend.join_path(hook.out_dir,
                                       hook.filename_tmpl.format(step))
    if hook.last_ckpt != path:
        hook._save_checkpoint_with_step(runner, step, meta)
    return path


__all__ = ['PREEMPTED_EXIT_CODE', 'Preempted', 'PreemptionHook', 'save_now']
