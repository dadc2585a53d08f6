"""Memory of a JVP through attention: the blockwise forward-mode rule
against PyTorch's math backend, by the largest tensor each allocates.

Behind ``tools/benchmark_attention.py``. A dispatch mode records the size
of every tensor an operator returns while ``torch.func.jvp`` runs one
attention call; the math backend's largest is the ``(batch, heads, L, L)``
score matrix (quadratic in the sequence length ``L``), the rule's a
``(batch, heads, L, block)`` slice (linear in ``L``).
"""
from typing import Dict, List, Sequence

import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.utils._python_dispatch import TorchDispatchMode

from mmcm.models.unets.attention import ForwardModeAttention


class LargestTensor(TorchDispatchMode):
    """The largest tensor (in bytes) any operator returns inside it."""

    def __init__(self):
        super().__init__()
        self.largest = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for value in out if isinstance(out, (tuple, list)) else (out, ):
            if isinstance(value, torch.Tensor):
                self.largest = max(self.largest,
                                   value.numel() * value.element_size())
        return out


def largest_jvp_tensor(method: str, length: int, heads: int = 4,
                       head_dim: int = 64, batch: int = 1) -> int:
    """Bytes of the largest tensor of one float32 attention JVP with
    ``method`` ``'blockwise'`` (the rule) or ``'math'`` (SDPA's math
    backend under ``torch.func.jvp``)."""
    generator = torch.Generator().manual_seed(0)
    q, k, v, dq, dk, dv = (torch.randn(batch, heads, length, head_dim,
                                       generator=generator)
                           for _ in range(6))
    recorder = LargestTensor()
    with torch.no_grad(), recorder:
        if method == 'blockwise':
            torch.func.jvp(ForwardModeAttention.apply, (q, k, v),
                           (dq, dk, dv))
        else:
            with sdpa_kernel(SDPBackend.MATH):
                torch.func.jvp(F.scaled_dot_product_attention, (q, k, v),
                               (dq, dk, dv))
    return recorder.largest


def memory_table(lengths: Sequence[int], **shape) -> List[Dict]:
    """One row per length: the largest tensor of each method, in MiB."""
    rows = []
    for length in lengths:
        row = dict(length=length)
        for method in ('math', 'blockwise'):
            row[method] = largest_jvp_tensor(method, length, **shape) / 2**20
        rows.append(row)
    return rows
