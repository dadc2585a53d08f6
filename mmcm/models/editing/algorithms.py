"""Zero-shot editing and interpolation with a consistency function."""
from typing import Callable, Sequence

import torch

from ..sampling import multistep_renoise, progress_iter
from .operators import EditOperator

Denoiser = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


@torch.no_grad()
def edit_multistep(denoiser: Denoiser, reference: torch.Tensor,
                   operator: EditOperator, generator, ts: Sequence[int],
                   steps: int, parameterisation,
                   progress: bool = False) -> torch.Tensor:
    """Multistep consistency sampling with data consistency, Algorithm 4.

    Song et al. (2023), Algorithm 4: start from ``N(P y, t_1^2 I)``; at each
    ``t_n`` (the Karras-grid levels of ``ts[:-1]``) jump to ``f(x, t_n)``
    and replace its observed part with the reference's; between levels
    re-noise with standard deviation ``sqrt(t_{n+1}^2 - sigma_min^2)``.
    ``ts`` has the multistep sampler's meaning and must end at
    ``steps - 1`` (``sigma_min``), so the result is the last projection and
    meets the constraint exactly.

    Args:
        denoiser: ``f(x, sigma)``, clipped or not as the caller chooses.
        reference: The image ``y``, ``(N, C, H, W)`` in ``[-1, 1]``.
        operator: The projection (inpainting, colorization, ...).
        generator: Noise source with ``randn_like``.
        ts: Ascending indices into a Karras grid of ``steps`` levels.
        steps: Levels of the grid.
        parameterisation: The model's, which owns the grid's range.
    """
    if ts[-1] != steps - 1:
        raise ValueError(f'editing ends at sigma_min: ts must end with '
                         f'steps - 1 = {steps - 1}, got {tuple(ts)}')
    ones = reference.new_ones([reference.shape[0]])
    sigmas = [parameterisation.karras_sigma(t, steps) for t in ts]
    x = operator.initial(reference) + generator.randn_like(
        reference) * sigmas[0]
    for i in progress_iter(range(len(ts) - 1), progress):
        x0 = operator.project(reference, denoiser(x, sigmas[i] * ones))
        if i < len(ts) - 2:
            x = multistep_renoise(x0, generator.randn_like(x0),
                                  sigmas[i + 1], parameterisation.sigma_min)
    return x0


def slerp(z0: torch.Tensor, z1: torch.Tensor, alpha: float) -> torch.Tensor:
    """Spherical interpolation of two noises (paper Section 6).

    ``z = sin((1 - a) theta) / sin(theta) z0 + sin(a theta) / sin(theta) z1``
    with ``theta = arccos(<z0, z1> / (|z0| |z1|))``, per sample; ``a = 0``
    and ``a = 1`` give ``z0`` and ``z1`` exactly. Parallel noises fall back
    to linear interpolation.
    """
    if z0.shape != z1.shape:
        raise ValueError(f'noises differ in shape: {tuple(z0.shape)} vs '
                         f'{tuple(z1.shape)}')
    if alpha == 0:
        return z0.clone()
    if alpha == 1:
        return z1.clone()
    flat0, flat1 = z0.flatten(1).double(), z1.flatten(1).double()
    cosine = (flat0 * flat1).sum(1) / (flat0.norm(dim=1) * flat1.norm(dim=1))
    theta = torch.arccos(cosine.clamp(-1, 1))
    sin_theta = torch.sin(theta)
    linear = sin_theta < 1e-6
    safe = torch.where(linear, torch.ones_like(sin_theta), sin_theta)
    w0 = torch.where(linear, torch.full_like(theta, 1 - alpha),
                     torch.sin((1 - alpha) * theta) / safe)
    w1 = torch.where(linear, torch.full_like(theta, alpha),
                     torch.sin(alpha * theta) / safe)
    shape = (-1, ) + (1, ) * (z0.ndim - 1)
    mixed = w0.reshape(shape) * z0.double() + w1.reshape(shape) * z1.double()
    return mixed.to(z0.dtype)
