"""The learned log-variance ``u(t)`` of sCM's adaptive weighting."""
import math

import torch
from torch import nn

from .unets.blocks import timestep_embedding


class LogVarianceHead(nn.Module):
    """The learned log-variance ``u(t)`` of the adaptive weighting: one
    linear layer, initialised to zero (``u = 0``, unit weights), on an
    embedding of the network's noise input ``c_noise = time_scale * t``.

    Args:
        dim: Embedding channels.
        time_scale: ``c_noise / t``, as the parameterisation's.
        embedding: ``'fourier'``, EDM2's random Fourier features
            ``sqrt(2) cos(2 pi (f c_noise + p))`` with ``f ~ N(0, 1)``,
            ``p ~ U(0, 1)`` (Karras et al. 2024, ``MPFourier``; the sCM
            paper's networks are EDM2's), fixed by ``seed``; or
            ``'sinusoidal'``, ADM's transformer embedding, whose
            frequencies are all below one per unit of ``c_noise``: the
            head then follows the loss scale over ``t`` only coarsely.
        seed: Seed of the Fourier frequencies and phases.
    """

    EMBEDDINGS = ('fourier', 'sinusoidal')

    def __init__(self, dim: int = 128, time_scale: float = 1.0,
                 embedding: str = 'fourier', seed: int = 0):
        super().__init__()
        if embedding not in self.EMBEDDINGS:
            raise ValueError(f'embedding must be one of {self.EMBEDDINGS}, '
                             f'got {embedding!r}')
        self.dim, self.time_scale = dim, time_scale
        self.embedding = embedding
        if embedding == 'fourier':
            generator = torch.Generator().manual_seed(seed)
            self.register_buffer('frequencies',
                                 torch.randn(dim, generator=generator))
            self.register_buffer('phases',
                                 torch.rand(dim, generator=generator))
        self.linear = nn.Linear(dim, 1)
        nn.init.zeros_(self.linear.weight)
        nn.init.zeros_(self.linear.bias)

    def embed(self, t: torch.Tensor) -> torch.Tensor:
        """The features of ``c_noise = time_scale * t``, float32 at least."""
        c_noise = self.time_scale * t.to(
            torch.promote_types(t.dtype, torch.float32))
        if self.embedding == 'sinusoidal':
            return timestep_embedding(c_noise, self.dim)
        angle = 2 * math.pi * (c_noise[:, None] * self.frequencies +
                               self.phases)
        return math.sqrt(2) * torch.cos(angle)

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        # A loss weighting: float32 under mixed precision too.
        with torch.autocast(t.device.type, enabled=False):
            return self.linear(self.embed(t))[:, 0]
