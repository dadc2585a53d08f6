"""Samplers over a denoiser ``D(x, sigma)``, following the official code.

Every sampler takes ``(denoiser, x_T, sigmas, generator, **options)`` where
``x_T`` is already scaled by ``sigma_max`` and ``sigmas`` are the descending
noise levels the sampler visits (:func:`sampler_sigmas`: the Karras grid
with a trailing zero, or for multistep sampling the grid's levels at
``ts``), and returns the final sample before clipping.
"""
from typing import Callable, Optional, Sequence

import torch
from mmengine.utils import track_iter_progress

from .karras_grid import karras_sigma, karras_sigmas
from .steps import heun_step, multistep_renoise, ode_derivative

Denoiser = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def progress_iter(iterable, show: bool):
    if not show:
        return iterable
    return track_iter_progress(list(iterable))


@torch.no_grad()
def sample_onestep(denoiser: Denoiser, x: torch.Tensor, sigmas: torch.Tensor,
                   generator=None, progress: bool = False) -> torch.Tensor:
    """One network evaluation: ``x_0 = f(x_T, sigma_max)`` (Song et al.)."""
    return denoiser(x, sigmas[0] * x.new_ones([x.shape[0]]))


@torch.no_grad()
def sample_multistep(denoiser: Denoiser, x: torch.Tensor, sigmas: torch.Tensor,
                     generator, sigma_min: float,
                     progress: bool = False) -> torch.Tensor:
    """Multistep consistency sampling, Song et al. (2023) Algorithm 1.

    ``sigmas`` are the levels of the grid at the ascending indices ``ts``
    (float64, as the official code computes them). At each level but the
    last the model jumps to ``x_0``; the result is re-noised to the next
    level with standard deviation ``sqrt(sigma_next^2 - sigma_min^2)``.
    """
    ones = x.new_ones([x.shape[0]])
    for i in progress_iter(range(len(sigmas) - 1), progress):
        x0 = denoiser(x, float(sigmas[i]) * ones)
        x = multistep_renoise(x0, generator.randn_like(x), sigmas[i + 1],
                              sigma_min)
    return x


@torch.no_grad()
def sample_heun(denoiser: Denoiser, x: torch.Tensor, sigmas: torch.Tensor,
                generator, s_churn: float = 0.0, s_tmin: float = 0.0,
                s_tmax: float = float('inf'), s_noise: float = 1.0,
                progress: bool = False) -> torch.Tensor:
    """Heun steps with optional churn, Karras et al. (2022) Algorithm 2."""
    num_steps = len(sigmas) - 1
    for i in progress_iter(range(num_steps), progress):
        sigma, sigma_next = float(sigmas[i]), float(sigmas[i + 1])
        gamma = (min(s_churn / num_steps, 2**0.5 - 1)
                 if s_tmin <= sigma <= s_tmax else 0.0)
        # The official sampler draws churn noise on every step, used or not.
        eps = generator.randn_like(x) * s_noise
        sigma_hat = sigma * (gamma + 1)
        if gamma > 0:
            x = x + eps * (sigma_hat**2 - sigma**2)**0.5
        # Heun step; Euler to the final zero level.
        x = heun_step(denoiser, x, sigma_hat, sigma_next)
    return x


@torch.no_grad()
def sample_euler(denoiser: Denoiser, x: torch.Tensor, sigmas: torch.Tensor,
                 generator=None, progress: bool = False) -> torch.Tensor:
    """Euler steps of the probability-flow ODE, Karras et al. (2022) Eq. 4."""
    ones = x.new_ones([x.shape[0]])
    for i in progress_iter(range(len(sigmas) - 1), progress):
        sigma = sigmas[i]
        d = ode_derivative(x, denoiser(x, sigma * ones), sigma)
        x = x + d * (sigmas[i + 1] - sigma)
    return x


@torch.no_grad()
def sample_meanflow(denoiser: Denoiser, x: torch.Tensor, sigmas: torch.Tensor,
                    generator=None, jump: Optional[Callable] = None,
                    progress: bool = False) -> torch.Tensor:
    """MeanFlow's few-step sampling (Geng et al. 2025, Algorithm 2): the
    jumps ``z_r = z_t - (t - r) u(z_t, r, t)`` between consecutive times of
    ``sigmas`` (from 1 to 0), by ``jump(z, t, r)`` of the model's
    parameterisation; no noise is added between them."""
    if jump is None:
        raise ValueError('the meanflow sampler needs a parameterisation '
                         'with jumps (MeanFlowParameterisation)')
    ones = x.new_ones([x.shape[0]])
    for i in progress_iter(range(len(sigmas) - 1), progress):
        x = jump(x, sigmas[i] * ones, sigmas[i + 1] * ones)
    return x


SAMPLERS = {
    'onestep': sample_onestep,
    'multistep': sample_multistep,
    'heun': sample_heun,
    'euler': sample_euler,
    'meanflow': sample_meanflow,
}


def get_sampler(name: str) -> Callable:
    """Look up a sampler by its official name."""
    if name not in SAMPLERS:
        raise ValueError(f'unknown sampler {name!r}; choose one of '
                         f'{", ".join(SAMPLERS)}')
    return SAMPLERS[name]


def sampler_sigmas(sampler: str, steps: int, sigma_min: float,
                   sigma_max: float, rho: float = 7.0,
                   ts: Optional[Sequence[int]] = None,
                   device='cpu') -> torch.Tensor:
    """The noise levels ``sampler`` visits on a Karras grid of ``steps``.

    Multistep sampling visits the levels at ``ts`` (float64 numbers of
    :func:`karras_sigma`); the other samplers walk the whole float32 grid
    and a final zero (one-step sampling uses its first level only).
    """
    if sampler == 'multistep':
        levels = [karras_sigma(t, steps, sigma_min, sigma_max, rho)
                  for t in validate_ts(ts, steps)]
        return torch.tensor(levels, dtype=torch.float64, device=device)
    if sampler == 'meanflow':  # steps equal jumps from sigma_max down
        return torch.linspace(sigma_max, sigma_min, steps + 1, device=device)
    return karras_sigmas(steps, sigma_min, sigma_max, rho, device=device)


def validate_ts(ts: Optional[Sequence[int]], steps: int) -> tuple:
    """Check multistep indices: ascending, within ``[0, steps - 1]``."""
    if not ts or len(ts) < 2:
        raise ValueError('the multistep sampler needs ts with at least two '
                         'indices, e.g. ts=(0, 22, 39) with steps=40')
    ts = tuple(int(t) for t in ts)
    if any(b <= a for a, b in zip(ts, ts[1:])):
        raise ValueError(f'ts must be strictly ascending, got {ts}')
    if ts[0] < 0 or ts[-1] > steps - 1:
        raise ValueError(f'ts {ts} must lie in [0, steps - 1 = {steps - 1}]')
    return ts
