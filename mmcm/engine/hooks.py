"""Hooks that training consistency models needs."""
import random

import numpy as np
import torch
import torch.distributed as dist
from mmengine.dist import all_reduce
from mmengine.hooks import Hook
from mmengine.logging import HistoryBuffer
from mmengine.model import is_model_wrapper

from mmcm.registry import HOOKS

from .amp import step_was_skipped
from mmcm.utils.checkpoint import mmengine_safe_globals


@HOOKS.register_module()
class ConsistencyAveragesHook(Hook):
    """Update the target network and EMAs after every optimizer step.

    The one owner of the per-step averaging rule (see
    :mod:`mmcm.models.training`). Runs in ``after_train_iter``, so it works
    the same with and without distributed wrappers.
    """

    priority = 'ABOVE_NORMAL'  # before checkpoints are written

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        if step_was_skipped(runner.optim_wrapper):
            return  # fp16 overflow: the weights did not move, nor do these
        self._model(runner).update_averages(runner.iter)

    @staticmethod
    def _model(runner):
        model = runner.model
        return model.module if is_model_wrapper(model) else model


@HOOKS.register_module()
class ResumeStateHook(Hook):
    """Checkpoints that resume exactly and load safely.

    Stores the random streams, so a resumed run continues with the noise,
    indices and dropout masks of an uninterrupted one, as tensors, ints and
    tuples only. The message hub's logged-scalar history (the windows the
    logger smooths over) is stored as plain tensors too and rebuilt on
    load, so the smoothed loss logged after a resume is the one an
    uninterrupted run logs; as pickled ``HistoryBuffer`` objects it would
    make ``torch.load(..., weights_only=True)`` refuse the file.
    """

    KEY = 'random_state'

    def __init__(self):
        # Let mmengine's own ``torch.load`` (``weights_only`` by default
        # since torch 2.6) read the numpy scalars it writes into the meta;
        # at construction, as FlexibleRunner resumes before ``before_run``.
        torch.serialization.add_safe_globals(mmengine_safe_globals())

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint[self.KEY] = capture_random_state()
        hub = checkpoint.get('message_hub')
        if hub is not None:
            hub['log_scalars'] = {key: history_to_plain(buffer) for key,
                                  buffer in hub['log_scalars'].items()}

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Runs before the runner loads the message hub from ``checkpoint``
        (mmengine's ``Runner.resume``), so the rebuilt windows reach it."""
        if self.KEY in checkpoint:
            restore_random_state(checkpoint[self.KEY])
        hub = checkpoint.get('message_hub')
        if hub is not None:
            hub['log_scalars'] = {key: history_from_plain(value) for key,
                                  value in hub['log_scalars'].items()}


def history_to_plain(buffer: HistoryBuffer, keep_last: int = 10000) -> dict:
    """A logger window as tensors and an int (``weights_only``-loadable).

    Only the last ``keep_last`` entries are kept (the logger smooths over
    ``log_processor.window_size`` of them), so that a million-iteration run
    does not store its whole loss history in every checkpoint.
    """
    values, counts = (history[-keep_last:] for history in buffer.data)
    return dict(values=torch.from_numpy(np.asarray(values, np.float64)),
                counts=torch.from_numpy(np.asarray(counts, np.float64)),
                max_length=int(buffer.max_length))


def history_from_plain(plain) -> HistoryBuffer:
    """Inverse of :func:`history_to_plain`; a buffer passes through."""
    if isinstance(plain, HistoryBuffer):
        return plain
    return HistoryBuffer(plain['values'].tolist(), plain['counts'].tolist(),
                         max_length=plain['max_length'])


@HOOKS.register_module()
class SkippedImagesHook(Hook):
    """Say how many unreadable training images were skipped, in the log and
    in every checkpoint's meta (``skipped_images``, summed over ranks and
    over resumed runs), so a damaged data set never silently changes what
    is trained on. Each skipped image was replaced by another random one.

    The count is summed over ranks after every iteration (one scalar
    all-reduce; checkpoints are written by rank 0 alone, so the sum cannot
    wait until then) and logged every ``interval`` iterations when it grew.

    Args:
        interval: Iterations between log lines.
    """

    priority = 'BELOW_NORMAL'  # before CheckpointHook and PreemptionHook
    META_KEY = 'skipped_images'

    def __init__(self, interval: int = 50):
        self.interval = interval
        self._before_resume = 0
        self._reported = 0
        self._total = 0

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        self._before_resume = int(checkpoint.get('meta', {}).get(
            self.META_KEY, 0))
        self._reported = self._total = self._before_resume

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
        self._total = self.total(runner)
        if (self.every_n_train_iters(runner, self.interval)
                and self._total > self._reported):
            runner.logger.warning(
                f'{self._total} unreadable training images skipped so far '
                '(each replaced by another random image)')
            self._reported = self._total

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint.setdefault('meta', {})[self.META_KEY] = self._total

    def total(self, runner) -> int:
        """Skips of this run on every rank, plus those before a resume."""
        count = sum(counter.value for counter in skip_counters(
            runner.train_dataloader.dataset))
        count = torch.tensor([count], dtype=torch.int64,
                             device=collective_device())
        all_reduce(count, op='sum')
        return self._before_resume + int(count.item())


def skip_counters(dataset) -> list:
    """The ``skipped`` counters of ``dataset`` and of the data sets it
    wraps (``ConcatDataset``, ``RepeatDataset`` ...)."""
    found = [dataset.skipped] if hasattr(dataset, 'skipped') else []
    for inner in getattr(dataset, 'datasets', []):
        found += skip_counters(inner)
    if hasattr(dataset, 'dataset'):
        found += skip_counters(dataset.dataset)
    return found


def collective_device() -> torch.device:
    """Where a scalar all-reduce runs: the GPU under NCCL, else the CPU."""
    if (dist.is_available() and dist.is_initialized()
            and dist.get_backend() == 'nccl'):
        return torch.device('cuda', torch.cuda.current_device())
    return torch.device('cpu')


def capture_random_state() -> dict:
    """torch (CPU and CUDA), numpy and python RNG states as plain values."""
    name, keys, pos, has_gauss, gauss = np.random.get_state()
    cuda = (torch.cuda.get_rng_state_all()
            if torch.cuda.is_available() else [])
    return dict(
        torch=torch.get_rng_state(), cuda=cuda,
        numpy=dict(keys=torch.from_numpy(keys.astype(np.int64)), pos=pos,
                   has_gauss=has_gauss, gauss=gauss),
        python=random.getstate())


def restore_random_state(state: dict) -> None:
    torch.set_rng_state(state['torch'])
    if state['cuda'] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state['cuda'])
    numpy = state['numpy']
    np.random.set_state(('MT19937', numpy['keys'].numpy().astype(np.uint32),
                         numpy['pos'], numpy['has_gauss'], numpy['gauss']))
    random.setstate(state['python'])
