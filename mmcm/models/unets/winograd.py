"""Winograd convolution for 3x3 kernels on the CPU (float32 inference).

Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks" (2016),
eq. (8): an ``m x m`` output tile of a 3x3 convolution is

    Y = A^T [ (G g G^T) (.) (B^T d B) ] A

for an ``(m + 2) x (m + 2)`` input tile ``d`` and kernel ``g``. Summed over
input channels, the elementwise product ``(.)`` becomes one matrix product
per tile position, so a whole layer is ``(m + 2)^2`` GEMMs of
``tiles x C_in`` by ``C_in x C_out``: F(4x4, 3x3) multiplies 4x fewer
numbers than the direct convolution, F(2x2, 3x3) 2.25x fewer. The kernel
transform ``G g G^T`` is computed once and kept until the weight changes.

oneDNN runs PyTorch's CPU convolutions directly, so this is where the CPU
gains its speed; CUDA (cuDNN picks its own algorithms), other dtypes,
autocast and anything that needs gradients fall back to ``F.conv2d``.
F(4x4, 3x3) rounds off about 1e-5 of a layer's output range (F(2x2, 3x3)
about 1e-6) against about 1e-7 for the direct convolution.
"""
import functools
from typing import Dict, Tuple

import torch
from torch import nn

# (B^T, G, A^T) for F(2x2, 3x3) (points 0, 1, -1) and F(4x4, 3x3)
# (points 0, 1, -1, 2, -2), Lavin & Gray 2016, sec. 4.1 and 4.2.
TRANSFORMS: Dict[int, Tuple[list, list, list]] = {
    2: ([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]],
        [[1, 0, 0], [1 / 2, 1 / 2, 1 / 2], [1 / 2, -1 / 2, 1 / 2],
         [0, 0, 1]],
        [[1, 1, 1, 0], [0, 1, -1, -1]]),
    4: ([[4, 0, -5, 0, 1, 0], [0, -4, -4, 1, 1, 0], [0, 4, -4, -1, 1, 0],
         [0, -2, -1, 2, 1, 0], [0, 2, -1, -2, 1, 0], [0, 4, 0, -5, 0, 1]],
        [[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6],
         [1 / 24, 1 / 12, 1 / 6], [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]],
        [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0],
         [0, 1, -1, 8, -8, 1]]),
}


def tile_size(height: int, width: int) -> int:
    """Output tile ``m``: 4 where the map holds at least 4x4 such tiles,
    else 2 (a 4x4 tile over an 8x8 map wastes too much on its borders)."""
    return 4 if min(height, width) >= 16 else 2


def transform_kernel(weight: torch.Tensor, m: int) -> torch.Tensor:
    """``G g G^T`` for every kernel, as ``((m+2)^2, C_in, C_out)`` GEMM
    operands (computed in float64, returned in the weight's dtype)."""
    g = torch.tensor(TRANSFORMS[m][1], dtype=torch.float64)
    u = torch.einsum('ik,ockl,jl->ijco', g, weight.double(), g)
    a = m + 2
    return u.reshape(a * a, weight.shape[1], weight.shape[0]).to(weight)


# Most transformed values one band of tile rows holds (8 MiB in float32),
# so the temporaries do not grow with the map.
BAND_ELEMENTS = 2**21


@functools.lru_cache(maxsize=None)
def _matrix(m: int, which: int, dtype: torch.dtype) -> torch.Tensor:
    return torch.tensor(TRANSFORMS[m][which], dtype=dtype)


def _transform_tiles(tiles: torch.Tensor, matrix: torch.Tensor):
    """``T d T^T`` for every flattened tile ``d`` (a column of ``tiles``,
    ``(a * a, N)``), as ``(b * b, N)`` for a ``b x a`` matrix ``T``: two
    passes of 6-term sums instead of one of 36."""
    b, a = matrix.shape
    n = tiles.shape[1]
    rows_done = torch.matmul(matrix, tiles.view(a, a, n))  # d T^T
    return (matrix @ rows_done.view(a, b * n)).view(b * b, n)


def _padded_band(x: torch.Tensor, top: int, bottom: int,
                 m: int) -> torch.Tensor:
    """Rows of ``x`` (N, C, H, W) under tile rows ``[top, bottom)`` as a
    zero-padded NHWC band: the 3x3 kernel's border and whole tiles."""
    n, c, h, w = x.shape
    first, height = top * m - 1, (bottom - top) * m + 2  # x row of row 0
    band = x.new_empty(n, height, -(-w // m) * m + 2, c)
    lo, hi = max(first, 0) - first, min(first + height, h) - first
    for border in (band[:, :lo], band[:, hi:], band[:, :, 0],
                   band[:, :, w + 1:]):
        border.zero_()
    rows = x[:, :, first + lo:first + hi].permute(0, 2, 3, 1)
    band[:, lo:hi, 1:w + 1].copy_(rows)
    return band


def _band_outputs(band: torch.Tensor, kernel: torch.Tensor,
                  m: int) -> torch.Tensor:
    """Eq. (8) over a band of padded NHWC rows: ``(m, m, N, rows, cols,
    C_out)`` output tiles."""
    n, _, _, c = band.shape
    a = m + 2
    tiles = band.unfold(1, a, m).unfold(2, a, m)  # n rows cols c a a
    rows, cols = tiles.shape[1:3]
    tiles = tiles.permute(4, 5, 0, 1, 2, 3).reshape(a * a, -1)
    out = _transform_tiles(tiles, _matrix(m, 0, tiles.dtype))  # B^T d B
    out = torch.bmm(out.view(a * a, -1, c), kernel)  # (.) G g G^T
    out = _transform_tiles(out.view(a * a, -1),
                           _matrix(m, 2, out.dtype))  # A^T M A
    return out.view(m, m, n, rows, cols, -1)


def winograd_conv3x3(x: torch.Tensor, kernel: torch.Tensor, m: int,
                     bias: torch.Tensor = None) -> torch.Tensor:
    """A 3x3, stride 1, padding 1 convolution of ``x`` (N, C, H, W) with a
    kernel from :func:`transform_kernel`; the result is channels-last.

    Runs in bands of tile rows of at most :data:`BAND_ELEMENTS` transformed
    values, each written (plus ``bias``) straight into the result.
    """
    n, c, h, w = x.shape
    a, rows, cols, channels = m + 2, -(-h // m), -(-w // m), kernel.shape[2]
    result = x.new_empty(n, rows, m, cols, m, channels)
    per_row = a * a * n * cols * max(c, channels)
    step = max(1, BAND_ELEMENTS // per_row)
    for top in range(0, rows, step):
        bottom = min(rows, top + step)
        out = _band_outputs(_padded_band(x, top, bottom, m), kernel, m)
        target = result[:, top:bottom].permute(2, 4, 0, 1, 3, 5)
        if bias is None:
            target.copy_(out)
        else:
            torch.add(out, bias, out=target)
    result = result.view(n, rows * m, cols * m, channels)
    if (rows * m, cols * m) != (h, w):  # crop the partial tiles
        result = result[:, :h, :w].contiguous()
    return result.permute(0, 3, 1, 2)


class WinogradConv2d(nn.Conv2d):
    """An ``nn.Conv2d`` (3x3, stride 1, padding 1) that runs CPU float32
    inference through :func:`winograd_conv3x3`; same parameters and keys."""

    @classmethod
    def from_conv(cls, conv: nn.Conv2d) -> 'WinogradConv2d':
        """A Winograd twin of ``conv`` sharing its parameters."""
        twin = cls.__new__(cls)
        twin.__dict__.update(conv.__dict__)  # parameters shared
        twin._kernels = {}
        return twin

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self._winograd_applies(x):
            return super().forward(x)
        m = tile_size(*x.shape[-2:])
        return winograd_conv3x3(x, self._kernel(m), m, self.bias)

    def _winograd_applies(self, x: torch.Tensor) -> bool:
        needs_grad = torch.is_grad_enabled() and (
            x.requires_grad or self.weight.requires_grad)
        return (x.device.type == 'cpu' and x.dtype == torch.float32
                and self.weight.dtype == torch.float32 and not needs_grad
                and not torch.is_autocast_enabled('cpu'))

    def _kernel(self, m: int) -> torch.Tensor:
        """The transformed kernel, recomputed when the weight changed."""
        key = (self.weight.data_ptr(), self.weight._version)
        cached = self._kernels.get(m)
        if cached is None or cached[0] != key:
            cached = (key, transform_kernel(self.weight.detach(), m))
            self._kernels[m] = cached
        return cached[1]


def winograd_eligible(conv: nn.Module) -> bool:
    """Whether ``conv`` is a plain 3x3, stride 1, padding 1 convolution."""
    return (type(conv) is nn.Conv2d and conv.kernel_size == (3, 3)
            and conv.stride == (1, 1) and conv.padding == (1, 1)
            and conv.dilation == (1, 1) and conv.groups == 1
            and conv.padding_mode == 'zeros')


def use_winograd(network: nn.Module) -> int:
    """Swap every eligible convolution of ``network`` for its
    :class:`WinogradConv2d` twin; returns how many were swapped."""
    swaps = [(parent, name, child)
             for parent in network.modules()
             for name, child in parent.named_children()
             if winograd_eligible(child)]
    for parent, name, child in swaps:
        setattr(parent, name, WinogradConv2d.from_conv(child))
    return len(swaps)


def winograd_kernel_bytes(network: nn.Module) -> int:
    """Bytes of the transformed kernels ``network`` keeps (filled on the
    first forward pass; about 2x the weights of the 3x3 convolutions)."""
    return sum(kernel.numel() * kernel.element_size()
               for module in network.modules()
               if isinstance(module, WinogradConv2d)
               for _, kernel in module._kernels.values())
