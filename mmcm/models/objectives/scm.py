"""Continuous-time consistency models in TrigFlow (sCM, Lu & Song 2024).

All functions work with the TrigFlow network ``F(x_t / sigma_d, t)`` (a
callable taking the scaled image and the time ``t`` in ``[0, pi / 2]``):
``x_t = cos(t) x_0 + sin(t) z``, ``z ~ N(0, sigma_d^2 I)``, the PF-ODE is
``dx_t / dt = sigma_d F`` and the consistency function is
``f(x_t, t) = cos(t) x_t - sin(t) sigma_d F(x_t / sigma_d, t)``.
"""
from typing import Callable, Optional

import torch

from mmcm.registry import MODELS
from mmcm.utils.choices import checked_choice
from mmcm.utils.functional import (append_dims, mean_flat, trigflow_time,
                                   with_shared_dropout)
from mmcm.utils.jvp import JVP_METHODS, float32_jvp, jvp_without_grad
from ..parameterisations import TrigFlowParameterisation
from .base import Objective, lognormal_sigmas

TrigNetwork = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def sample_trigflow_time(batch_size: int, p_mean: float, p_std: float,
                         sigma_data: float, device) -> torch.Tensor:
    """``t = arctan(e^tau / sigma_d)`` with ``tau ~ N(P_mean, P_std^2)``.

    Lu & Song (2024), Section 4.2: EDM's lognormal ``sigma = e^tau``
    mapped to TrigFlow time.
    """
    sigma = lognormal_sigmas(batch_size, p_mean, p_std, device)
    return trigflow_time(sigma, sigma_data)


def trigflow_sample(x_start: torch.Tensor, t: torch.Tensor,
                    sigma_data: float):
    """``(x_t, z, dx_t/dt)`` with ``z ~ N(0, sigma_d^2 I)``: the noisy
    sample and the exact velocity ``cos(t) z - sin(t) x_0`` (sCT)."""
    z = torch.randn_like(x_start) * sigma_data
    cos, sin = (append_dims(f(t), x_start.ndim) for f in (torch.cos,
                                                           torch.sin))
    return cos * x_start + sin * z, z, cos * z - sin * x_start


def teacher_velocity(teacher: TrigNetwork, x_t: torch.Tensor,
                     t: torch.Tensor, sigma_data: float) -> torch.Tensor:
    """sCD's PF-ODE velocity ``dx_t/dt = sigma_d F_teacher(x_t / sigma_d,
    t)``, in float32 with autocast off: it enters ``g`` beside the float32
    ``F^-``, where bf16 rounding would be as large as the signal."""
    with torch.no_grad(), torch.autocast(x_t.device.type, enabled=False):
        velocity = teacher(x_t / sigma_data, t)
    dtype = torch.promote_types(velocity.dtype, torch.float32)
    return sigma_data * velocity.to(dtype)


def consistency_tangent(network: TrigNetwork, x_t: torch.Tensor,
                        t: torch.Tensor, dxdt: torch.Tensor,
                        sigma_data: float, warmup: float = 1.0,
                        jvp: str = 'exact', jvp_step: float = 1e-3):
    """``(F^-, g)``: the stop-gradient output and the update direction.

    ``g = cos(t) df^-/dt`` along the PF-ODE, written out (Lu & Song 2024,
    Algorithm 1):
    ``g = -cos^2(t) (sigma_d F^- - dx_t/dt)
    - r cos(t) sin(t) (x_t + sigma_d dF^-/dt)``,
    with ``dF^-/dt`` the total derivative along ``dx_t/dt``, computed by
    ``torch.func.jvp`` with tangents ``(cos t sin t dx_t/dt / sigma_d,
    cos t sin t)`` (the ``cos t sin t`` factor keeps it bounded near
    ``t = pi / 2``). ``r`` is the tangent warm-up factor in ``[0, 1]``.
    ``jvp`` and ``jvp_step`` choose the derivative
    (:func:`~mmcm.utils.jvp.directional_derivative`).
    """
    primals, tangents = tangent_direction(x_t, t, dxdt, sigma_data)
    f_minus, df_scaled = jvp_without_grad(network, primals, tangents, jvp,
                                          jvp_step)
    return f_minus, update_direction(f_minus, df_scaled, x_t, t, dxdt,
                                     sigma_data, warmup)


def tangent_direction(x_t: torch.Tensor, t: torch.Tensor, dxdt: torch.Tensor,
                      sigma_data: float):
    """``(primals, tangents)`` of the JVP of :func:`consistency_tangent`:
    ``F(x_t / sigma_d, t)`` along ``(cos t sin t dx_t/dt / sigma_d,
    cos t sin t)``."""
    cos_sin = torch.cos(t) * torch.sin(t)
    scale = append_dims(cos_sin, x_t.ndim)
    return (x_t / sigma_data, t), (scale * dxdt / sigma_data, cos_sin)


def update_direction(f_minus: torch.Tensor, df_scaled: torch.Tensor,
                     x_t: torch.Tensor, t: torch.Tensor, dxdt: torch.Tensor,
                     sigma_data: float, warmup: float) -> torch.Tensor:
    """``g`` of :func:`consistency_tangent` from ``F^-`` and the scaled
    derivative ``cos t sin t dF^-/dt`` (both detached)."""
    cos, sin = torch.cos(t), torch.sin(t)
    scale = append_dims(cos * sin, x_t.ndim)
    cos2 = append_dims(cos**2, x_t.ndim)
    return (-cos2 * (sigma_data * f_minus - dxdt) -
            warmup * (scale * x_t + sigma_data * df_scaled))


def normalize_tangent(g: torch.Tensor, c: float = 0.1) -> torch.Tensor:
    """Tangent normalisation ``g / (||g|| + c)`` per sample (Section 4.2)."""
    norm = g.flatten(1).norm(dim=1)
    return g / append_dims(norm + c, g.ndim)


def prior_weight(t: torch.Tensor, sigma_data: float) -> torch.Tensor:
    """sCM's prior weighting ``w(t) = 1 / (sigma_d tan(t))`` (Lu & Song
    2024, Section 4.2), i.e. ``1 / sigma`` of the EDM noise level."""
    return 1 / (sigma_data * torch.tan(t))


def adaptive_weighting(mean_squared: torch.Tensor,
                       log_variance: Optional[Callable],
                       t: torch.Tensor) -> torch.Tensor:
    """``e^{-u(t)} ||.||^2 / D + u(t)`` with the learned head ``u``
    (EDM2-style uncertainty weighting, sCM Section 4.2); identity when
    there is no head."""
    if log_variance is None:
        return mean_squared
    u = log_variance(t)
    return torch.exp(-u) * mean_squared + u


class TrigFlowTimeObjective(Objective):
    """Base of the TrigFlow objectives: lognormal time and the noisy
    sample with its exact velocity, on the TrigFlow parameterisation, with
    the learned adaptive weighting where the model has its head.

    Args:
        p_mean, p_std: Lognormal of ``sigma = sigma_d tan(t)``.
    """

    accepts_log_variance = True
    parameterisation = TrigFlowParameterisation

    def __init__(self, p_mean: float = -1.0, p_std: float = 1.4):
        self.p_mean, self.p_std = p_mean, p_std

    def training_point(self, batch: dict, sigma_data: float):
        """``(t, x_t, dx_t/dt)`` of :func:`sample_trigflow_time` and
        :func:`trigflow_sample` for the batch's images."""
        x_start = batch['img']
        t = sample_trigflow_time(x_start.shape[0], self.p_mean, self.p_std,
                                 sigma_data, x_start.device)
        x_t, _, dxdt = trigflow_sample(x_start, t, sigma_data)
        return t, x_t, dxdt


@MODELS.register_module()
class SCMObjective(TrigFlowTimeObjective):
    """Per-sample continuous-time consistency loss: sCT, or sCD with a
    TrigFlow teacher.

    ``w(t) || F_theta - F^- - g ||^2 / D`` whose gradient is that of the
    continuous-time consistency objective (Lu & Song 2024, Eq. 8 and
    Algorithm 1), with tangent normalisation and warm-up, the prior
    weighting ``w(t) = 1 / (sigma_d tan t)`` (optional) and the learned
    adaptive weighting (with the model's log-variance head). ``F^-`` is the
    detached value of the same forward pass that carries the gradient, so
    ``F_theta - F^-`` is exactly zero under mixed precision too (a second,
    float32 evaluation would leave the bf16 rounding in the loss, as large
    as ``g`` itself at ImageNet size); ``g`` comes from the float32 JVP.
    Logs the warm-up factor ``tangent_warmup``.

    Args:
        p_mean, p_std: Lognormal of ``sigma = sigma_d tan(t)`` (sCM: -1.0,
            1.4).
        warmup_steps: Iterations over which ``r`` rises from 0 to 1
            (sCM: 10k); 0 disables the warm-up.
        tangent_norm_c: ``c`` of the tangent normalisation; ``None``
            disables it.
        prior_weighting: Multiply by ``1 / (sigma_d tan t)`` (the paper's;
            default).
        jvp: ``'exact'`` (forward-mode AD, default) or
            ``'finite-difference'`` (a central difference of step
            ``jvp_step``; see :mod:`mmcm.utils.jvp`).
        jvp_step: The finite difference's step.
        single_pass: With the exact JVP and autocast off, take the
            prediction (with its graph) and ``dF/dt`` from one forward pass
            with dual numbers (``torch.func.jvp`` under grad mode), in place
            of a JVP pass without a graph and a second, graded forward pass
            (default); the loss and gradient are the same. Measured on the
            CPU it is no faster and keeps the tangent's graph too (about 5x
            the peak memory of a CT step; README, Speed), hence off. Under
            autocast the prediction always has its own low-precision pass.
    """

    accepts_teacher = True

    def __init__(self, p_mean: float = -1.0, p_std: float = 1.4,
                 warmup_steps: int = 10000,
                 tangent_norm_c: Optional[float] = 0.1,
                 prior_weighting: bool = True, jvp: str = 'exact',
                 jvp_step: float = 1e-3, single_pass: bool = False):
        self.jvp = checked_choice('jvp', jvp, JVP_METHODS)
        self.jvp_step = jvp_step
        self.single_pass = single_pass
        super().__init__(p_mean, p_std)
        self.warmup_steps = warmup_steps
        self.tangent_norm_c = tangent_norm_c
        self.prior_weighting = prior_weighting

    def warmup(self, step: int) -> float:
        """``r = min(1, step / H)``."""
        if not self.warmup_steps:
            return 1.0
        return min(1.0, step / self.warmup_steps)

    def __call__(self, batch, networks, parameterisation, step):
        labels, sigma_data = batch.get('labels'), parameterisation.sigma_data
        network = parameterisation.trig_network(networks.online, labels)
        t, x_t, dxdt = self.training_point(batch, sigma_data)
        if networks.teacher is not None:
            teacher = parameterisation.trig_network(networks.teacher, labels)
            dxdt = teacher_velocity(teacher, x_t, t, sigma_data)
        warmup = self.warmup(step.iteration)
        if self._one_pass(x_t):
            primals, tangents = tangent_direction(x_t, t, dxdt, sigma_data)
            prediction, df_scaled = float32_jvp(network, primals, tangents)
            g = update_direction(prediction.detach(), df_scaled.detach(), x_t,
                                 t, dxdt, sigma_data, warmup)
        else:
            (_, g), prediction = with_shared_dropout(
                x_t.device,
                lambda: consistency_tangent(network, x_t, t, dxdt, sigma_data,
                                            warmup, self.jvp, self.jvp_step),
                lambda: network(x_t / sigma_data, t))
        if self.tangent_norm_c is not None:
            g = normalize_tangent(g, self.tangent_norm_c)
        mse = mean_flat((prediction - prediction.detach() - g)**2)
        if self.prior_weighting:
            mse = mse * prior_weight(t, sigma_data)
        loss = adaptive_weighting(mse, networks.log_variance, t)
        return loss, dict(tangent_warmup=warmup)

    def _one_pass(self, x_t: torch.Tensor) -> bool:
        """Whether the prediction comes from the JVP's own pass."""
        return (self.single_pass and self.jvp == 'exact' and
                not torch.is_autocast_enabled(x_t.device.type))


@MODELS.register_module()
class TrigFlowObjective(TrigFlowTimeObjective):
    """Per-sample TrigFlow diffusion loss ``|| sigma_d F - dx_t/dt ||^2 /
    (D sigma_d^2)``: v-prediction of ``cos(t) z - sin(t) x_0`` (Lu & Song
    2024, Section 2): the diffusion models sCD distils; with the model's
    log-variance head, the adaptive weighting.

    Args:
        p_mean, p_std: Lognormal of ``sigma = sigma_d tan(t)``.
    """

    def __call__(self, batch, networks, parameterisation, step):
        sigma_data = parameterisation.sigma_data
        network = parameterisation.trig_network(networks.online,
                                                batch.get('labels'))
        t, x_t, dxdt = self.training_point(batch, sigma_data)
        prediction = network(x_t / sigma_data, t)
        mse = mean_flat((prediction - dxdt / sigma_data)**2)
        return adaptive_weighting(mse, networks.log_variance, t), {}


__all__ = [
    'SCMObjective', 'TrigFlowObjective', 'consistency_tangent',
    'normalize_tangent', 'sample_trigflow_time', 'trigflow_sample',
    'tangent_direction', 'update_direction',
    'adaptive_weighting', 'prior_weight', 'teacher_velocity'
]
