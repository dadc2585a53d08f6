"""Distances by their official names (``--loss_norm`` of ``cm_train.py``)."""
from typing import Union

from torch import nn

from mmcm.registry import MODELS
from .distances import (DISTANCE_NAMES, L1Distance, L2Distance,
                        PseudoHuberDistance)
from .lpips_loss import LPIPSDistance


def official_distance_config(name: str) -> dict:
    """The config of the distance the official code calls ``name``."""
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
