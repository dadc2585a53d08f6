"""Continuous-time CD and CT of Song et al. (2023), the limit N -> infinity.

With ``t = tau(u)`` the Karras map of ``u ~ U(0, 1)``, the discrete loss
``|| f(x_{tau(u)}) - f^-(x_{tau(u + du)}) ||^2`` behaves like ``du`` times
a loss whose gradient is ``2 |tau'(u)| grad f^T df^-/dt`` (Song et al.
2023, Appendix B.2, Theorems 5 and 6, for the squared l2 metric), the
derivative taken along the PF-ODE: the teacher's (CD) or the one-sample
estimate ``dx/dt = (x_t - x_0) / t = z`` (CT).

That limit weights each sample by ``|tau'(u)|`` (about 0.05 at sigma_min
and 437 at sigma_max with rho = 7: nearly all the weight on sigma > 10).
OpenAI's continuous-time code (``jcm/losses.py`` of
``consistency_models_cifar10``) samples ``u`` the same way but weights
every sample by one, i.e. takes the limit per unit of noise level; that
is the default here (``time_weight='one'``), the exact limit in ``u`` is
``time_weight='karras'``.
"""
from typing import Callable, Optional

import torch

from mmcm.registry import MODELS
from mmcm.utils.functional import (append_dims, jvp_without_grad, mean_flat,
                                   rng_state, set_rng_state)
from ..losses import get_weighting
from ..sampling import karras_sigma

Denoiser = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def karras_time_derivative(u: torch.Tensor, sigma_min: float,
                           sigma_max: float, rho: float = 7.0):
    """``|tau'(u)|`` of ``tau(u) = (smax^(1/rho) + u (smin^(1/rho) -
    smax^(1/rho)))^rho``: ``rho tau^((rho - 1) / rho) (smax^(1/rho) -
    smin^(1/rho))``."""
    span = sigma_max**(1 / rho) - sigma_min**(1 / rho)
    sigma = karras_sigma(u, 2, sigma_min, sigma_max, rho)
    return rho * sigma**((rho - 1) / rho) * span


def ode_derivative_along(target: Denoiser, x_t: torch.Tensor,
                         sigma: torch.Tensor, dxdt: torch.Tensor):
    """``(f^-, df^-/dt)`` along ``dx/dt``, without gradients."""
    return jvp_without_grad(target, (x_t, sigma),
                            (dxdt, torch.ones_like(sigma)))


TIME_WEIGHTS = ('one', 'karras')


@MODELS.register_module()
class ContinuousConsistencyObjective:
    """Per-sample continuous-time CD/CT loss with the squared l2 metric.

    ``lambda(t) || f_theta(x_t, t) - stopgrad(f^- - w df^-/dt) ||^2 / D``:
    at ``f_theta = f^-`` its gradient is ``2 lambda w grad f^T df^-/dt /
    D``, the gradient of the continuous-time objective (its value measures
    how fast ``f^-`` changes along the ODE). Called like
    :class:`ConsistencyObjective` (``num_scales`` is unused).

    Args:
        weighting: Name of ``lambda`` (see ``get_weighting``).
        time_weight: ``w``: ``'one'`` (OpenAI's continuous-time code) or
            ``'karras'``, ``|tau'(u)|`` (the limit of the discrete loss per
            unit of ``u``); see the module docstring.
        sigma_data: Data standard deviation for the weighting.
    """

    def __init__(self, weighting: str = 'uniform', time_weight: str = 'one',
                 sigma_data: float = 0.5):
        if time_weight not in TIME_WEIGHTS:
            raise ValueError(f'time_weight must be one of {TIME_WEIGHTS}, '
                             f'got {time_weight!r}')
        self.weighting = weighting
        self.time_weight = time_weight
        self.sigma_data = sigma_data

    def __call__(self, online: Denoiser, target: Denoiser, x_start,
                 num_scales: int, sigma_min: float, sigma_max: float,
                 rho: float = 7.0, teacher: Optional[Denoiser] = None,
                 noise: Optional[torch.Tensor] = None,
                 u: Optional[torch.Tensor] = None) -> torch.Tensor:
        if noise is None:
            noise = torch.randn_like(x_start)
        if u is None:
            u = torch.rand(x_start.shape[0], device=x_start.device)
        sigma = karras_sigma(u, 2, sigma_min, sigma_max, rho)
        x_t = x_start + noise * append_dims(sigma, x_start.ndim)
        if teacher is None:
            dxdt = noise  # (x_t - x_0) / t, the one-sample estimate (CT)
        else:
            with torch.no_grad():
                dxdt = (x_t - teacher(x_t, sigma)) / append_dims(
                    sigma, x_start.ndim)
        dropout_state = rng_state(x_start.device)
        f_minus, dfdt = ode_derivative_along(target, x_t, sigma, dxdt)
        step = torch.ones_like(u)
        if self.time_weight == 'karras':
            step = karras_time_derivative(u, sigma_min, sigma_max, rho)
        set_rng_state(dropout_state)
        prediction = online(x_t, sigma)
        goal = f_minus - append_dims(step, x_start.ndim) * dfdt
        squared = (prediction - goal)**2
        weights = get_weighting(self.weighting, sigma, self.sigma_data)
        return mean_flat(squared) * weights
