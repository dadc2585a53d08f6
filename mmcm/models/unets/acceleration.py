"""Speed options for sampling, shared by the networks.

A network that mixes in :class:`Accelerable` and runs its forward pass
inside :meth:`Accelerable.fast_forward_context` (on an input passed through
:meth:`Accelerable.to_memory_format`) gets five switches:

- ``channels_last``: weights and activations in NHWC layout, the layout
  cuDNN's and oneDNN's convolutions run natively (no reorders);
- ``autocast``: ``'bf16'`` or ``'fp16'`` mixed precision with float32
  weights (``torch.autocast``; normalisations stay float32);
- ``compile``: ``torch.compile`` of the module in place (the state dict
  keeps its keys), which fuses GroupNorm + SiLU and the other pointwise
  chains into single kernels; ``True`` compiles with inductor, a string
  names another ``torch.compile`` backend (``'aot_eager'`` traces without
  generating kernels, quick to check a model compiles);
- ``cuda_graphs``: compile with ``mode='reduce-overhead'``, which captures
  each fixed-shape call as a CUDA graph (GPU only);
- ``winograd``: 3x3 convolutions through Winograd F(4x4, 3x3) / F(2x2, 3x3)
  in CPU float32 inference (:mod:`.winograd`), 2-4x fewer multiplications
  for transformed kernels kept beside the weights.

All of them keep the parameters, so checkpoints load and save as before.
"""
import contextlib
from typing import Optional, Union

import torch

from mmcm.utils.functional import AUTOCAST_DTYPES
from .winograd import use_winograd


class Accelerable:
    """Mixin for ``nn.Module`` networks: see the module docstring."""

    memory_format = torch.contiguous_format
    autocast_dtype: Optional[torch.dtype] = None

    def accelerate(self, channels_last: bool = False,
                   autocast: Optional[str] = None,
                   compile: Union[bool, str] = False,
                   cuda_graphs: bool = False, winograd: bool = False):
        """Switch the speed options on; returns ``self``."""
        if autocast is not None and autocast not in AUTOCAST_DTYPES:
            raise ValueError(f'autocast must be one of '
                             f'{sorted(AUTOCAST_DTYPES)}, got {autocast!r}')
        if cuda_graphs and not self._on_cuda():
            raise ValueError('cuda_graphs needs the network on a CUDA '
                             'device; move it there first')
        if winograd:
            self._check_winograd(autocast, compile or cuda_graphs)
            use_winograd(self)
        if channels_last:
            self.to(memory_format=torch.channels_last)
            self.memory_format = torch.channels_last
        self.autocast_dtype = AUTOCAST_DTYPES.get(autocast)
        if compile or cuda_graphs:
            backend = compile if isinstance(compile, str) else 'inductor'
            self.compile(dynamic=False, backend=backend,
                         mode='reduce-overhead' if cuda_graphs else None)
        return self

    def _check_winograd(self, autocast, compile) -> None:
        if self._on_cuda():
            raise ValueError('winograd is a CPU path; on CUDA, cuDNN picks '
                             'its own convolution algorithms')
        if autocast or compile:
            raise ValueError('winograd runs eager float32 convolutions; it '
                             'does not combine with autocast or compile')

    def _on_cuda(self) -> bool:
        return any(p.is_cuda for p in self.parameters())

    def to_memory_format(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` in the network's memory format (4-D inputs only)."""
        if x.dim() != 4 or self.memory_format is torch.contiguous_format:
            return x
        return x.contiguous(memory_format=self.memory_format)

    def fast_forward_context(self, x: torch.Tensor):
        """Autocast for the forward pass when ``autocast`` is set."""
        if self.autocast_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(x.device.type, dtype=self.autocast_dtype)
