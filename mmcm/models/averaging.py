"""Exponential moving averages of network weights."""
import copy
from typing import Sequence

import torch
from torch import nn


@torch.no_grad()
def update_average(average: nn.Module, source: nn.Module,
                   decay: float) -> None:
    """``theta_avg <- decay * theta_avg + (1 - decay) * theta``.

    Song et al. (2023) Algorithm 2, the target update
    ``theta^- <- stopgrad(mu theta^- + (1 - mu) theta)``; also the evaluation
    EMAs (official ``update_ema``). Buffers are copied. The same arithmetic
    as the official per-tensor ``mul_(decay).add_(src, alpha=1 - decay)``
    (bit for bit), in two multi-tensor (``torch._foreach``) kernels.
    """
    averages = list(average.parameters())
    sources = [src.to(avg.dtype)
               for avg, src in zip(averages, source.parameters())]
    torch._foreach_mul_(averages, decay)
    torch._foreach_add_(averages, sources, alpha=1.0 - decay)
    for avg, src in zip(average.buffers(), source.buffers()):
        avg.copy_(src)


def frozen_copy(network: nn.Module) -> nn.Module:
    """A deep copy that takes no gradients."""
    clone = copy.deepcopy(network)
    clone.requires_grad_(False)
    return clone


class EMANetworks(nn.Module):
    """One frozen EMA copy of a network per decay rate.

    Args:
        network: The online network to average.
        decays: EMA decay rates, e.g. the official
            ``(0.999, 0.9999, 0.9999432189950708)``.
    """

    def __init__(self, network: nn.Module, decays: Sequence[float]):
        super().__init__()
        self.decays = tuple(float(d) for d in decays)
        self.networks = nn.ModuleList(frozen_copy(network)
                                      for _ in self.decays)

    def reset(self, source: nn.Module) -> None:
        """Copy ``source``'s weights into every EMA."""
        for network in self.networks:
            network.load_state_dict(source.state_dict())

    def update(self, source: nn.Module) -> None:
        for network, decay in zip(self.networks, self.decays):
            update_average(network, source, decay)

    def __len__(self) -> int:
        return len(self.decays)
