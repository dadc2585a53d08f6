"""Mixed-precision training on CUDA and on the CPU.

What runs in reduced precision is decided here and nowhere else: the
networks' forward and backward passes run under ``torch.autocast`` (bf16 or
fp16 matrix products and convolutions; autocast keeps normalisations,
softmax and reductions in float32). Everything else stays float32: the
weights and the optimizer state (the optimizer steps float32 master
weights), the preconditioning and the loss with its weighting (the
denoisers' outputs are promoted to float32 by the skip connection, and
every distance is computed in float32), the JVP tangents of the
continuous-time objectives and the teacher velocities they follow (computed
with autocast off; their ``F^-`` is the detached prediction itself, so no
bf16 rounding enters ``F_theta - F^-``), the log-variance weighting, and the
EMA and target updates (after the step, outside autocast).

fp16 scales the loss dynamically (``torch.amp.GradScaler``); a step whose
gradients overflow is skipped, and ``ConsistencyAveragesHook`` then leaves
the EMA and target networks as they are. bf16 needs no scaling.
"""
import logging
from contextlib import contextmanager
from typing import Optional

import torch
from mmengine.logging import print_log
from mmengine.optim import OptimWrapper
from torch.distributed.fsdp.sharded_grad_scaler import ShardedGradScaler

from mmcm.registry import OPTIM_WRAPPERS

AMP_DTYPES = dict(bf16=torch.bfloat16, fp16=torch.float16)


def cpu_computes(dtype: str) -> bool:
    """Whether this CPU has the instructions oneDNN needs for ``dtype``
    matrix products (AVX-512 or AMX). Without them (AVX2 CPUs) oneDNN
    falls back to reference kernels: a bf16 convolution of the ImageNet-64
    UNet's size ran 78x slower than float32 on an AMD EPYC here."""
    check = dict(bf16=torch.ops.mkldnn._is_mkldnn_bf16_supported,
                 fp16=torch.ops.mkldnn._is_mkldnn_fp16_supported)[dtype]
    return torch.backends.mkldnn.is_available() and bool(check())


def default_amp_dtype() -> Optional[str]:
    """What ``--amp`` (auto) trains in: ``'bf16'`` where the device computes
    it (Ampere and later GPUs, CPUs with AVX-512 or AMX), ``'fp16'`` on older
    GPUs, ``None`` (float32) on CPUs with neither."""
    if torch.cuda.is_available():
        return 'bf16' if torch.cuda.is_bf16_supported() else 'fp16'
    return 'bf16' if cpu_computes('bf16') else None


@OPTIM_WRAPPERS.register_module()
class MixedPrecisionOptimWrapper(OptimWrapper):
    """An ``OptimWrapper`` whose forward passes run under autocast.

    Unlike mmengine's ``AmpOptimWrapper`` it works on the CPU too.

    Args:
        dtype: ``'bf16'`` or ``'fp16'``.
        device_type: ``'cuda'`` or ``'cpu'``; by default CUDA when present.
        init_scale: fp16's first loss scale.
        growth_factor: The scale's growth after ``growth_interval`` steps
            without an overflow; an overflow halves it.
        growth_interval: Steps between growths.
        autocast: Run the forward passes under autocast. ``False`` for
            networks that compute in reduced precision themselves (the
            official ``use_fp16`` torso, :class:`OfficialFP16OptimWrapper`).
        sharded: Gradients are sharded (FSDP): the ranks agree on an
            overflow (``ShardedGradScaler``); the FSDP strategy sets it.
        **kwargs: :class:`mmengine.optim.OptimWrapper` arguments.
    """

    def __init__(self, dtype: str = 'bf16',
                 device_type: Optional[str] = None,
                 init_scale: float = 2.0**16, growth_factor: float = 2.0,
                 growth_interval: int = 2000, autocast: bool = True,
                 sharded: bool = False, **kwargs):
        super().__init__(**kwargs)
        if dtype not in AMP_DTYPES:
            raise ValueError(f'dtype must be one of {sorted(AMP_DTYPES)}, '
                             f'got {dtype!r}')
        self.cast_dtype = AMP_DTYPES[dtype]
        self.device_type = device_type or (
            'cuda' if torch.cuda.is_available() else 'cpu')
        if self.device_type == 'cpu' and autocast and not cpu_computes(dtype):
            print_log(f'this CPU has no {dtype} matrix units (AVX-512 or '
                      f'AMX): {dtype} autocast runs many times slower than '
                      'float32 here', logger='current', level=logging.WARNING)
        scaler = ShardedGradScaler if sharded else torch.amp.GradScaler
        self.scaler = scaler(self.device_type, init_scale=init_scale,
                             growth_factor=growth_factor,
                             growth_interval=growth_interval,
                             enabled=self.cast_dtype == torch.float16)
        self.autocast = autocast
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
                self.device_type, dtype=self.cast_dtype,
                enabled=self.autocast):
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


@OPTIM_WRAPPERS.register_module()
class OfficialFP16OptimWrapper(MixedPrecisionOptimWrapper):
    """The official fp16 training (``cm/fp16_util.py``,
    ``MixedPrecisionTrainer``), for networks built with ``use_fp16=True``.

    The network computes its torso in float16 on float32 master weights
    (``ADMUNet.keep_master_weights``, set by the training block), so no
    autocast; the loss scale starts at ``2 ** 20``, grows by ``2 ** 0.001``
    after every step (the official ``lg_loss_scale += fp16_scale_growth``) and
    halves on an overflow, whose step is skipped (``lg_loss_scale -= 1``).
    """

    def __init__(self, initial_lg_loss_scale: float = 20.0,
                 fp16_scale_growth: float = 1e-3, **kwargs):
        kwargs.update(dtype='fp16', autocast=False,
                      init_scale=2.0**initial_lg_loss_scale,
                      growth_factor=2.0**fp16_scale_growth, growth_interval=1)
        super().__init__(**kwargs)


def step_was_skipped(optim_wrapper) -> bool:
    """Whether the last optimizer step was skipped (fp16 overflow)."""
    return bool(getattr(optim_wrapper, 'step_skipped', False))


__all__ = ['AMP_DTYPES', 'MixedPrecisionOptimWrapper',
           'OfficialFP16OptimWrapper', 'cpu_computes', 'default_amp_dtype',
           'step_was_skipped']
