"""Per-sample distances ``d(x, y)`` between images of the consistency loss.

Each distance is an ``nn.Module`` whose ``forward(x, y)`` returns one value
per sample, shape ``(N,)``, for images in ``[-1, 1]``. The official names
(``--loss_norm`` of ``cm_train.py``) map to configs in :func:`build_distance`.
"""
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

from mmcm.registry import MODELS
from mmcm.utils.functional import mean_flat

DISTANCE_NAMES = ('l1', 'l2', 'l2-32', 'lpips', 'pseudo-huber')


def resize_bilinear(x: torch.Tensor, size: int) -> torch.Tensor:
    """Resize NCHW images to ``size x size`` as the official loss does.

    ``F.interpolate(..., mode='bilinear')`` with its defaults
    (``align_corners=False``, no antialiasing), also when downsampling.
    """
    return F.interpolate(x, size=size, mode='bilinear')


def check_pair(x: torch.Tensor, y: torch.Tensor):
    """Refuse pairs that would silently broadcast; return them in float32 at
    least (a distance is computed in float32 under mixed precision too, and
    in float64 for float64 inputs)."""
    if x.shape != y.shape:
        raise ValueError(f'a distance compares tensors of one shape, got '
                         f'{tuple(x.shape)} and {tuple(y.shape)}')
    dtype = torch.promote_types(torch.promote_types(x.dtype, y.dtype),
                                torch.float32)
    return x.to(dtype), y.to(dtype)


@MODELS.register_module()
class L1Distance(nn.Module):
    """Mean absolute difference per sample (official ``l1``)."""

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        x, y = check_pair(x, y)
        return mean_flat((x - y).abs())


@MODELS.register_module()
class L2Distance(nn.Module):
    """Mean squared difference per sample (official ``l2`` and ``l2-32``).

    Args:
        resize_to: If set, both images are first resized bilinearly to
            ``resize_to x resize_to`` (``32`` gives the official ``l2-32``).
    """

    def __init__(self, resize_to: Optional[int] = None):
        super().__init__()
        self.resize_to = resize_to

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        x, y = check_pair(x, y)
        if self.resize_to is not None:
            x = resize_bilinear(x, self.resize_to)
            y = resize_bilinear(y, self.resize_to)
        return mean_flat((x - y)**2)

    def extra_repr(self) -> str:
        return f'resize_to={self.resize_to}'


@MODELS.register_module()
class PseudoHuberDistance(nn.Module):
    """``sqrt(|x - y|^2 + c^2) - c`` on each sample's whole vector.

    Song & Dhariwal (2023), improved CT, Eq. (7) with
    ``c = 0.00054 sqrt(d)``, ``d`` the number of values per sample
    (``c = 0.03`` for 32x32 RGB).

    Args:
        c: The constant; ``None`` sets ``0.00054 sqrt(d)`` from the input.
    """

    def __init__(self, c: Optional[float] = None):
        super().__init__()
        self.c = c

    def constant(self, x: torch.Tensor) -> float:
        """``c`` for inputs shaped like ``x``."""
        if self.c is not None:
            return float(self.c)
        return 0.00054 * (x[0].numel()**0.5)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        x, y = check_pair(x, y)
        c = self.constant(x)
        squared = ((x - y)**2).flatten(1).sum(dim=1)
        return torch.sqrt(squared + c**2) - c

    def extra_repr(self) -> str:
        return f'c={self.c}'
