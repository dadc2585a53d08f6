"""Single steps of the samplers: each formula written once.

The probability-flow ODE derivative and the Heun step of Karras et al.
(2022), and the re-noising of multistep consistency sampling of Song et al.
(2023). The samplers, the editing algorithms and the consistency
distillation teacher all step with these.

A noise level is a Python number, a 0-dim tensor (one level for the whole
batch) or a tensor of one level per sample, shape ``(N,)``.
"""
from typing import Callable, Union

import numpy as np
import torch

Denoiser = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
Level = Union[float, torch.Tensor]


def _broadcastable(sigma: Level, x: torch.Tensor) -> Level:
    """``sigma`` shaped to broadcast against ``x``: per-sample levels get
    trailing singleton dimensions, numbers and 0-dim tensors stay."""
    if torch.is_tensor(sigma) and sigma.ndim:
        return sigma.reshape(-1, *([1] * (x.ndim - 1)))
    return sigma


def _per_sample(sigma: Level, x: torch.Tensor) -> torch.Tensor:
    """``sigma`` as the ``(N,)`` tensor a denoiser takes."""
    if torch.is_tensor(sigma) and sigma.ndim:
        return sigma
    return sigma * x.new_ones([x.shape[0]])


def ode_derivative(x: torch.Tensor, denoised: torch.Tensor,
                   sigma: Level) -> torch.Tensor:
    """Probability-flow ODE derivative ``dx/dsigma = (x - D(x, sigma)) /
    sigma``.

    Karras et al. (2022), Eq. 3 with ``sigma(t) = t``, ``s(t) = 1``
    (Algorithm 1, line 4).

    Args:
        x: The noisy input, ``(N, ...)``.
        denoised: ``D(x, sigma)``, shaped like ``x``.
        sigma: The noise level of ``x`` (see the module docstring).
    """
    return (x - denoised) / _broadcastable(sigma, x)


def heun_step(denoiser: Denoiser, x: torch.Tensor, sigma: Level,
              next_sigma: Level) -> torch.Tensor:
    """One Heun step of the probability-flow ODE from ``sigma`` to
    ``next_sigma``.

    Karras et al. (2022), Algorithm 1, lines 4-8: an Euler step
    ``x' = x + (next_sigma - sigma) d`` with ``d`` the
    :func:`ode_derivative` at ``(x, sigma)``, then, unless ``next_sigma``
    is zero, the second-order correction ``x + (next_sigma - sigma)
    (d + d') / 2`` with ``d'`` the derivative at ``(x', next_sigma)``.
    A step to zero stays the Euler step (line 6); only a number or a 0-dim
    tensor is checked for zero, so per-sample levels must be positive.
    Makes two denoiser calls (one to zero); gradients flow unless the
    caller disables them.

    Args:
        denoiser: ``D(x, sigma)`` with ``sigma`` of shape ``(N,)``.
        x: The sample at ``sigma``, ``(N, ...)``.
        sigma, next_sigma: The levels (see the module docstring).
    """
    d = ode_derivative(x, denoiser(x, _per_sample(sigma, x)), sigma)
    step = _broadcastable(next_sigma - sigma, x)
    x_next = x + d * step
    if not (torch.is_tensor(next_sigma) and next_sigma.ndim) \
            and next_sigma == 0:
        return x_next
    d_next = ode_derivative(
        x_next, denoiser(x_next, _per_sample(next_sigma, x)), next_sigma)
    return x + (d + d_next) / 2 * step


def multistep_renoise(x0: torch.Tensor, noise: torch.Tensor,
                      next_sigma: float, sigma_min: float) -> torch.Tensor:
    """Re-noise a consistency-model estimate of ``x_0`` to ``next_sigma``:
    ``x0 + sqrt(next_sigma^2 - sigma_min^2) z``.

    Song et al. (2023), Algorithm 1, line 5 (and Algorithm 4, line 7): the
    model's boundary is ``sigma_min``, not zero, so the standard deviation
    added is ``sqrt(t^2 - eps^2)``. ``next_sigma`` is clamped to
    ``sigma_min`` first, so a level that rounds below it adds no noise.

    Args:
        x0: The estimate ``f(x, sigma)``.
        noise: Standard normal noise ``z`` shaped like ``x0``.
        next_sigma: The level ``t`` to re-noise to.
        sigma_min: The boundary ``eps`` of the consistency function.
    """
    next_sigma = max(float(next_sigma), sigma_min)
    return x0 + noise * np.sqrt(next_sigma**2 - sigma_min**2)
