"""Hooks that training consistency models needs."""
import random

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmcm.registry import HOOKS
from mmcm.utils.checkpoint import mmengine_safe_globals


@HOOKS.register_module()
class ConsistencyAveragesHook(Hook):
    """Update the target network and EMAs after every optimizer step.

    The one owner of the per-step averaging rule (see
    :mod:`mmcm.models.trainers`). Runs in ``after_train_iter``, so it works
    the same with and without distributed wrappers.
    """

    priority = 'ABOVE_NORMAL'  # before checkpoints are written

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None) -> None:
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
    tuples only. Drops the message hub's logged-scalar history (smoothing
    windows of the logger, rebuilt after a resume), whose pickled methods
    would make ``torch.load(..., weights_only=True)`` refuse the file.
    """

    KEY = 'random_state'

    def before_run(self, runner) -> None:
        """Let mmengine's own ``torch.load`` (``weights_only`` by default
        since torch 2.6) read the numpy scalars it writes into the meta."""
        torch.serialization.add_safe_globals(mmengine_safe_globals())

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint[self.KEY] = capture_random_state()
        if 'message_hub' in checkpoint:
            checkpoint['message_hub']['log_scalars'] = {}

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if self.KEY in checkpoint:
            restore_random_state(checkpoint[self.KEY])


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
