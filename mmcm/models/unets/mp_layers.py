"""Magnitude-preserving layers of EDM2 (Karras et al. 2024, "Analyzing and
Improving the Training Dynamics of Diffusion Models", Section 2 and
Appendix B): every layer keeps unit-variance inputs at unit variance in
expectation, and every weight is kept at unit norm per output channel.
"""
import math
from typing import Sequence

import torch
import torch.nn.functional as F
from torch import nn

NORM_EPS = 1e-4


def mp_normalize(x: torch.Tensor, dim=None, eps: float = NORM_EPS
                 ) -> torch.Tensor:
    """``x / (eps + ||x|| / sqrt(n))`` over ``dim`` (all but the first by
    default): unit root-mean-square per slice (Eq. 66's ``normalize``;
    pixel norm with ``dim=1``). The norm is taken in float32 at least."""
    if dim is None:
        dim = tuple(range(1, x.ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    count = math.prod(x.shape[d] for d in dims)
    norm = torch.linalg.vector_norm(
        x, dim=dims, keepdim=True,
        dtype=torch.promote_types(x.dtype, torch.float32))
    return x / (eps + norm / math.sqrt(count)).to(x.dtype)


def mp_silu(x: torch.Tensor) -> torch.Tensor:
    """SiLU divided by its output magnitude for unit normal input, 0.596
    (Eq. 81)."""
    return F.silu(x) / 0.596


def mp_sum(a: torch.Tensor, b: torch.Tensor, t: float = 0.5
           ) -> torch.Tensor:
    """``((1 - t) a + t b) / sqrt((1 - t)^2 + t^2)`` (Eq. 88)."""
    return a.lerp(b, t) / math.sqrt((1 - t)**2 + t**2)


def mp_cat(a: torch.Tensor, b: torch.Tensor, t: float = 0.5,
           dim: int = 1) -> torch.Tensor:
    """Concatenation with ``b`` weighted ``t`` against ``a``, each part
    scaled by its channel count, unit magnitude overall (Eq. 103)."""
    na, nb = a.shape[dim], b.shape[dim]
    scale = math.sqrt((na + nb) / ((1 - t)**2 + t**2))
    return torch.cat([a * (scale * (1 - t) / math.sqrt(na)),
                      b * (scale * t / math.sqrt(nb))], dim=dim)


def resample(x: torch.Tensor, mode: str = 'keep',
             taps: Sequence[float] = (1, 1)) -> torch.Tensor:
    """Down- or upsample by two with the separable filter ``taps``
    (normalised to sum one; ``(1, 1)``, EDM2's, is 2x2 average pooling and
    nearest-neighbour upsampling), or return ``x`` for ``'keep'``."""
    if mode == 'keep':
        return x
    if mode not in ('down', 'up') or len(taps) % 2:
        raise ValueError(f'resample needs mode keep/down/up and an even '
                         f'number of taps, got {mode!r}, {taps}')
    row = torch.as_tensor(taps, dtype=x.dtype, device=x.device)
    row = row / row.sum()
    kernel = torch.outer(row, row).expand(x.shape[1], 1, len(taps),
                                          len(taps))
    pad = (len(taps) - 1) // 2
    if mode == 'down':
        return F.conv2d(x, kernel, stride=2, padding=pad,
                        groups=x.shape[1])
    return F.conv_transpose2d(x, kernel * 4, stride=2, padding=pad,
                              groups=x.shape[1])


class MPFourier(nn.Module):
    """Random Fourier features ``sqrt(2) cos(f c + p)`` of a scalar input
    per sample, frequencies ``2 pi N(0, bandwidth^2)`` and phases ``2 pi
    U(0, 1)`` drawn once (Eq. 75), in float32."""

    def __init__(self, num_channels: int, bandwidth: float = 1.0):
        super().__init__()
        self.register_buffer('freqs', 2 * math.pi * bandwidth *
                             torch.randn(num_channels))
        self.register_buffer('phases', 2 * math.pi *
                             torch.rand(num_channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.outer(x.float(), self.freqs.float()) + self.phases.float()
        return (y.cos() * math.sqrt(2)).to(x.dtype)


class MPConv(nn.Module):
    """Magnitude-preserving convolution, or a fully connected layer for an
    empty ``kernel`` (Eq. 47), with no bias: the weight is normalised to
    unit norm per output channel and scaled by ``gain / sqrt(fan_in)``.

    Forced weight normalisation (Eq. 66), the projection of the stored
    weight itself back to unit norm, is :meth:`force_normalize_`; the
    model runs it on its online network before each training step (EDM2
    projects at the start of each training forward pass, once a step). The
    forward pass never mutates the weight, so it compiles, runs inside
    ``torch.func`` transforms and leaves frozen copies (targets, EMAs,
    teachers) as they are.
    """

    def __init__(self, in_channels: int, out_channels: int,
                 kernel: Sequence[int] = ()):
        super().__init__()
        self.out_channels = out_channels
        self.weight = nn.Parameter(
            torch.randn(out_channels, in_channels, *kernel))

    @torch.no_grad()
    def force_normalize_(self) -> None:
        """Project the stored weight to unit norm per output channel."""
        self.weight.copy_(mp_normalize(self.weight.float()))

    def forward(self, x: torch.Tensor, gain=1.0) -> torch.Tensor:
        w = mp_normalize(self.weight.float())
        w = (w * (gain / math.sqrt(w[0].numel()))).to(x.dtype)
        if w.ndim == 2:
            return x @ w.t()
        return F.conv2d(x, w, padding=w.shape[-1] // 2)
