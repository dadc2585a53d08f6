"""Continuous-time CD and CT of Song et al. (2023), the limit N -> infinity.

Every sample draws ``u ~ U(0, 1)``, the noise level ``sigma = tau(u) =
(smax^(1/rho) + u (smin^(1/rho) - smax^(1/rho)))^rho`` (uniform in
``sigma^(1/rho)``, as OpenAI's ``jcm/losses.py`` of
``consistency_models_cifar10``) and ``x_t = x_0 + sigma z``. The PF-ODE
direction is the teacher's ``dx/dsigma = (x_t - D(x_t, sigma)) / sigma``
(CD) or the one-sample estimate ``(x_t - x_0) / sigma = z`` (CT), and
``df/dsigma = d_x f . dx/dsigma + d_sigma f`` is one ``torch.func.jvp``
with tangents ``(dx/dsigma, 1)`` (jcm: tangents ``(t score, -1)``, the same
derivative negated). The JVP runs in float32 with autocast off
(:mod:`mmcm.utils.jvp`), attention through its blockwise forward-mode rule;
``jvp='finite-difference'`` takes a central difference instead.

Two losses (``variant``), per sample, ``lambda = get_weighting(sigma)``
and ``w`` the time weight (``time_weight='one'``: 1, jcm's
``weightings = ones``; ``'karras'``: ``|tau'(u)|``, the limit per unit of
``u``, which puts nearly all the weight on ``sigma > 10``):

``'stopgrad-l2sq'``
    The pseudo-loss of the squared l2 metric (mean over the ``D`` elements)
    with a stop-gradient target: ``lambda || f_theta - stopgrad(f_theta - w
    df^-/dsigma) ||^2 / D``, ``f^-`` the target network. Its value is
    ``lambda w^2 ||df^-/dsigma||^2 / D``, its gradient ``2 lambda w
    (df^-/dsigma)^T grad f_theta / D``: the limit of the gradient of the
    discrete squared-l2 loss over the step (Theorems 5 and 6). The only
    variant linear in the ODE direction, hence unbiased for CT's one-sample
    estimate. OpenAI's ``stopgrad=True, loss_norm='l2'`` (their
    continuous-time CT recipes and the stop-gradient CD ones) differentiates
    ``sum(stopgrad(df/dsigma) f_theta)``: the same gradient times ``D / 2``,
    its value no loss at all.
``'l2-through-jvp'``
    As OpenAI's code with ``stopgrad=False, loss_norm='l2'`` (the default of
    ``configs/cifar10_ve_continuous.py``, their continuous-time CD l2 run):
    ``lambda w || df_theta/dsigma ||_2``, the l2 norm (square root of the
    sum over all ``D`` elements, no mean) of the online network's own
    derivative, the gradient flowing back through the JVP (reverse over
    forward mode). No target network, no stop-gradient: the limit of the
    discrete loss ``||f_theta(x_sigma) - f_theta(x_{sigma - ds})||_2 / ds``.

The model averages over the batch, as jcm's ``sum(losses * mask) /
sum(mask)``. Dropout: the JVP is one forward, so primal and tangent share
its mask (jcm passes one ``rng`` to its one ``jax.jvp``); the
stop-gradient variant replays the RNG state so that the online forward
draws the target's mask.
"""
from typing import Callable

import torch

from mmcm.registry import MODELS
from mmcm.utils.functional import (append_dims, mean_flat,
                                   with_shared_dropout)
from mmcm.utils.choices import checked_choice
from mmcm.utils.jvp import (JVP_METHODS, directional_derivative,
                            jvp_without_grad)
from ..losses import get_weighting
from ..sampling import karras_sigma, ode_derivative
from .base import Objective, draw

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
                         sigma: torch.Tensor, dxdt: torch.Tensor,
                         method: str = 'exact', step: float = 1e-3):
    """``(f^-, df^-/dt)`` along ``dx/dt``, without gradients (``method``:
    see :func:`~mmcm.utils.jvp.directional_derivative`)."""
    return jvp_without_grad(target, (x_t, sigma),
                            (dxdt, torch.ones_like(sigma)), method, step)


def ode_derivative_with_grad(online: Denoiser, x_t: torch.Tensor,
                             sigma: torch.Tensor, dxdt: torch.Tensor,
                             method: str = 'exact', step: float = 1e-3):
    """``df/dt`` along ``dx/dt``, differentiable in the network's
    parameters (reverse mode through the JVP)."""
    _, derivative = directional_derivative(
        online, (x_t, sigma), (dxdt, torch.ones_like(sigma)), method, step)
    return derivative


def teacher_direction(teacher: Denoiser, x_t: torch.Tensor,
                      sigma: torch.Tensor) -> torch.Tensor:
    """CD's PF-ODE direction ``(x_t - D(x_t, sigma)) / sigma``, in float32
    with autocast off like the JVP it feeds."""
    with torch.no_grad(), torch.autocast(x_t.device.type, enabled=False):
        return ode_derivative(x_t, teacher(x_t, sigma), sigma)


TIME_WEIGHTS = ('one', 'karras')
VARIANTS = ('stopgrad-l2sq', 'l2-through-jvp')


@MODELS.register_module()
class ContinuousConsistencyObjective(Objective):
    """Per-sample continuous-time CD/CT loss (see the module docstring);
    a teacher makes it CD. ``batch`` may hold a fixed ``noise`` and ``u``.

    Args:
        weighting: Name of ``lambda`` (see ``get_weighting``).
        time_weight: ``w``: ``'one'`` (jcm's) or ``'karras'``,
            ``|tau'(u)|`` (the limit of the discrete loss per unit of
            ``u``).
        variant: ``'stopgrad-l2sq'`` (default): the stop-gradient
            pseudo-loss of the squared l2 metric, the limit of the discrete
            squared-l2 loss's gradient, valid for CT and CD, on the target
            network. ``'l2-through-jvp'``: as OpenAI's code with its
            continuous-time config (``stopgrad=False, loss_norm='l2'``),
            the l2 norm of the online network's ``df/dsigma`` with the
            gradient through the JVP, without a target network.
        jvp: ``'exact'`` (forward-mode AD, default) or
            ``'finite-difference'`` (a central difference of step
            ``jvp_step``; see :mod:`mmcm.utils.jvp`).
        jvp_step: The finite difference's step.
    """

    accepts_teacher = True

    def __init__(self, weighting: str = 'uniform', time_weight: str = 'one',
                 variant: str = 'stopgrad-l2sq', jvp: str = 'exact',
                 jvp_step: float = 1e-3):
        self.weighting = weighting
        self.time_weight = checked_choice('time_weight', time_weight,
                                          TIME_WEIGHTS)
        self.variant = checked_choice('variant', variant, VARIANTS)
        self.jvp = checked_choice('jvp', jvp, JVP_METHODS)
        self.jvp_step = jvp_step
        self.uses_target = variant == 'stopgrad-l2sq'

    def __call__(self, batch, networks, parameterisation, step):
        x_start, labels = batch['img'], batch.get('labels')
        p = parameterisation
        noise = draw(batch, 'noise', lambda: torch.randn_like(x_start))
        u = draw(batch, 'u', lambda: torch.rand(
            x_start.shape[0], device=x_start.device, dtype=x_start.dtype))
        sigma = p.karras_sigma(u, 2)
        x_t = x_start + noise * append_dims(sigma, x_start.ndim)
        if networks.teacher is None:
            dxdt = noise  # (x_t - x_0) / t, the one-sample estimate (CT)
        else:
            teacher = p.diffusion_counterpart().denoiser(networks.teacher,
                                                         labels)
            dxdt = teacher_direction(teacher, x_t, sigma)
        time_weight = torch.ones_like(u)
        if self.time_weight == 'karras':
            time_weight = karras_time_derivative(u, p.sigma_min, p.sigma_max,
                                                 p.rho)
        weights = get_weighting(self.weighting, sigma, p.sigma_data)
        online = p.denoiser(networks.online, labels)
        if self.variant == 'l2-through-jvp':
            dfdt = ode_derivative_with_grad(online, x_t, sigma, dxdt,
                                            self.jvp, self.jvp_step)
            return dfdt.flatten(1).norm(dim=1) * time_weight * weights, {}
        target = p.denoiser(networks.target, labels)
        (_, dfdt), prediction = with_shared_dropout(
            x_start.device,
            lambda: ode_derivative_along(target, x_t, sigma, dxdt, self.jvp,
                                         self.jvp_step),
            lambda: online(x_t, sigma))
        # f^- is the prediction's own value, not the JVP's float32 primal:
        # under autocast the two differ by rounding as large as w df^-/dt,
        # here the residual is w df^-/dt exactly (``p - p.detach()`` is 0).
        residual = (prediction - prediction.detach()) + append_dims(
            time_weight, x_start.ndim) * dfdt
        return mean_flat(residual**2) * weights, {}
