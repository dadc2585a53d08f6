"""Mixed-precision training on CUDA and on the CPU.

What runs in reduced precision is decided here and nowhere else: the
networks' forward and backward passes run under ``torch.autocast`` (bf16 or
fp16 matrix products and convolutions; autocast keeps normalisations,
softmax and reductions in float32). Everything else stays float32: the
weights and the optimizer state (the optimizer steps float32 master
weights), the preconditioning and the loss with its weighting (the
denoisers' outputs are promoted to float32 by the skip connection, and
every distance is computed in float32), the JVP tangents of the
continuous-time objectives (computed with autocast off), and the EMA and
target updates (after the step, outside autocast).

fp16 scales the loss dynamically (``torch.amp.GradScaler``); a step whose
gradients overflow is skipped, and ``ConsistencyAveragesHook`` then leaves
the EMA and target networks as they are. bf16 needs no scaling.
"""
from contextlib import contextmanager
from typing import Optional

import torch
from mmengine.optim import OptimWrapper
from torch.distributed.fsdp.sharded_grad_scaler import ShardedGradScaler

from mmcm.registry import OPTIM_WRAPPERS

AMP_DTYPES = dict(bf16=torch.bfloat16, fp16=torch.float16)


def default_amp_dtype() -> str:
    """``'bf16'`` where the device computes it (CPUs, Ampere and later
    GPUs), else ``'fp16'``."""
    if torch.cuda.is_available() and not torch.cuda.is_bf16_supported():
        return 'fp16'
    return 'bf16'


@OPTIM_WRAPPERS.register_module()
class MixedPrecisionOptimWrapper(OptimWrapper):
    """An ``OptimWrapper`` whose forward passes run under autocast.

    Unlike mmengine's ``AmpOptimWrapper`` it works on the CPU too.

    Args:
        dtype: ``'bf16'`` or ``'fp16'``.
        device_type: ``'cuda'`` or ``'cpu'``; by default CUDA when present.
        init_scale: fp16's first loss scale.
        sharded: Gradients are sharded (FSDP): the ranks agree on an
            overflow (``ShardedGradScaler``); the FSDP strategy sets it.
        **kwargs: :class:`mmengine.optim.OptimWrapper` arguments.
    """

    def __init__(self, dtype: str = 'bf16',
                 device_type: Optional[str] = None,
                 init_scale: float = 2.0**16, sharded: bool = False,
                 **kwargs):
        super().__init__(**kwargs)
        if dtype not in AMP_DTYPES:
            raise ValueError(f'dtype must be one of {sorted(AMP_DTYPES)}, '
                             f'got {dtype!r}')
        self.cast_dtype = AMP_DTYPES[dtype]
        self.device_type = device_type or (
            'cuda' if torch.cuda.is_available() else 'cpu')
        scaler = ShardedGradScaler if sharded else torch.amp.GradScaler
        self.scaler = scaler(self.device_type, init_scale=init_scale,
                             enabled=self.cast_dtype == torch.float16)
        self.step_skipped = False

    def backward(self, loss: torch.Tensor, **kwargs) -> None:
        self.scaler.scale(loss).backward(**kwargs)
        self._inner_count += 1

    def step(self, **kwargs) -> None:
        """Unscale, clip (when configured), step unless the gradients
        overflowed, and record whether the step was skipped."""
        if self.clip_grad_kwargs:
            self.scaler.unscale_(self.optimizer)
            self._clip_grad()
        scale = self.scaler.get_scale()
        self.scaler.step(self.optimizer, **kwargs)
        self.scaler.update()
        self.step_skipped = self.scaler.get_scale() < scale

    @contextmanager
    def optim_context(self, model):
        with super().optim_context(model), torch.autocast(
                self.device_type, dtype=self.cast_dtype):
            yield

    def state_dict(self) -> dict:
        state = self.optimizer.state_dict()
        state['loss_scaler'] = self.scaler.state_dict()
        return state

    def load_state_dict(self, state_dict: dict) -> None:
        state_dict = dict(state_dict)
        scaler = state_dict.pop('loss_scaler', None)
        if scaler:
            self.scaler.load_state_dict(scaler)
        self.optimizer.load_state_dict(state_dict)


def step_was_skipped(optim_wrapper) -> bool:
    """Whether the last optimizer step was skipped (fp16 overflow)."""
    return bool(getattr(optim_wrapper, 'step_skipped', False))


__all__ = ['AMP_DTYPES', 'MixedPrecisionOptimWrapper', 'default_amp_dtype',
           'step_was_skipped']
