"""Per-sample distances ``d(x, y)`` between images of the consistency loss.

Each distance is an ``nn.Module`` whose ``forward(x, y)`` returns one value
per sample, shape ``(N,)``, for images in ``[-1, 1]``. The official names
(``--loss_norm`` of ``cm_train.py``) map to configs in :func:`build_distance`.
"""
from typing import Optional, Union

import torch
import torch.nn.functional as F
from torch import nn

from mmcm.registry import MODELS

DISTANCE_NAMES = ('l1', 'l2', 'l2-32', 'lpips', 'pseudo-huber')


def mean_flat(x: torch.Tensor) -> torch.Tensor:
    """Mean over all dimensions but the first (batch) one."""
    return x.mean(dim=tuple(range(1, x.ndim)))


def resize_bilinear(x: torch.Tensor, size: int) -> torch.Tensor:
    """Resize NCHW images to ``size x size`` as the official loss does.

    ``F.interpolate(..., mode='bilinear')`` with its defaults
    (``align_corners=False``, no antialiasing), also when downsampling.
    """
    return F.interpolate(x, size=size, mode='bilinear')


def check_pair(x: torch.Tensor, y: torch.Tensor) -> None:
    """Refuse pairs that would silently broadcast."""
    if x.shape != y.shape:
        raise ValueError(f'a distance compares tensors of one shape, got '
                         f'{tuple(x.shape)} and {tuple(y.shape)}')


@MODELS.register_module()
class L1Distance(nn.Module):
    """Mean absolute difference per sample (official ``l1``)."""

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        check_pair(x, y)
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
        check_pair(x, y)
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
        check_pair(x, y)
        c = self.constant(x)
        squared = ((x - y)**2).flatten(1).sum(dim=1)
        return torch.sqrt(squared + c**2) - c

    def extra_repr(self) -> str:
        return f'c={self.c}'


def official_distance_config(name: str) -> dict:
    """The config of the distance the official code calls ``name``."""
    from .lpips_loss import LPIPSDistance
    configs = {
        'l1': dict(type=L1Distance),
        'l2': dict(type=L2Distance),
        'l2-32': dict(type=L2Distance, resize_to=32),
        'lpips': dict(type=LPIPSDistance),
        'pseudo-huber': dict(type=PseudoHuberDistance),
    }
    if name not in configs:
        raise ValueError(f'unknown distance {name!r}; choose one of '
                         f'{", ".join(DISTANCE_NAMES)} or give a config dict')
    return configs[name]


def build_distance(name_or_cfg: Union[str, dict, nn.Module]) -> nn.Module:
    """Build a distance from an official name, a config or a module.

    Args:
        name_or_cfg: ``'l1'``, ``'l2'``, ``'l2-32'``, ``'lpips'``,
            ``'pseudo-huber'`` (improved CT), a
            ``dict(type=...)`` for :data:`mmcm.registry.MODELS`, or an
            already built module (returned as is).

    Returns:
        A module with ``forward(x, y) -> (N,)``.
    """
    if isinstance(name_or_cfg, nn.Module):
        return name_or_cfg
    if isinstance(name_or_cfg, str):
        name_or_cfg = official_distance_config(name_or_cfg)
    return MODELS.build(dict(name_or_cfg))
