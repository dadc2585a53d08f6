"""Per-sample loss weightings ``lambda(sigma)`` of the official code.

The names are those of the official ``--weight_schedule`` option. All of
them are functions of the signal-to-noise ratio ``snr = sigma^-2`` of data
with unit scale.
"""
from typing import Optional

import torch

WEIGHTING_NAMES = ('uniform', 'snr', 'snr+1', 'karras', 'truncated-snr',
                   'inverse-gap')


def snr(sigma: torch.Tensor) -> torch.Tensor:
    """Signal-to-noise ratio ``sigma^-2``, as the official ``get_snr``."""
    return sigma**-2


def get_weighting(name: str, sigma: torch.Tensor,
                  sigma_data: float = 0.5,
                  lower_sigma: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Weight ``lambda(sigma)`` of each sample, the official weightings.

    - ``uniform``: 1 (the weighting of every official CD/CT run, and of
      Song et al. 2023, which use ``lambda = 1``).
    - ``snr``: ``sigma^-2``.
    - ``snr+1``: ``sigma^-2 + 1``.
    - ``karras``: ``sigma^-2 + sigma_data^-2 = (sigma^2 + sigma_data^2) /
      (sigma sigma_data)^2``, the EDM weighting ``lambda(sigma)`` of
      Karras et al. (2022), Table 1 (official EDM teacher training).
    - ``truncated-snr``: ``max(sigma^-2, 1)``.
    - ``inverse-gap``: ``1 / (sigma - lower_sigma)``, improved CT (Song &
      Dhariwal 2023, Section 3.4: ``1 / (sigma_{i+1} - sigma_i)``).

    Args:
        name: One of :data:`WEIGHTING_NAMES`.
        sigma: Noise levels, any shape (usually ``(N,)``).
        sigma_data: Data standard deviation, used by ``karras`` only.
        lower_sigma: The lower level of each pair, for ``inverse-gap``.

    Returns:
        The weights, with the shape of ``sigma``.
    """
    if name == 'uniform':
        return torch.ones_like(sigma)
    if name == 'snr':
        return snr(sigma)
    if name == 'snr+1':
        return snr(sigma) + 1
    if name == 'karras':
        return snr(sigma) + 1.0 / sigma_data**2
    if name == 'truncated-snr':
        return torch.clamp(snr(sigma), min=1.0)
    if name == 'inverse-gap':
        if lower_sigma is None:
            raise ValueError('the inverse-gap weighting needs lower_sigma')
        return 1.0 / (sigma - lower_sigma)
    raise ValueError(f'unknown weighting {name!r}; choose one of '
                     f'{", ".join(WEIGHTING_NAMES)}')
