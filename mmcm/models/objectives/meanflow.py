"""MeanFlow, Geng, Deng, Bai, Kolter and He, "Mean Flows for One-step
Generative Modeling" (2025).

The network gives the average velocity ``u(z_t, r, t)`` over ``[r, t]`` of
the flow-matching path ``z_t = (1 - t) x + t e`` (velocity ``v = e - x``).
The MeanFlow identity (Eq. 6) gives its regression target
``u_tgt = v - (t - r) du/dt``, with ``du/dt = v d_z u + d_t u`` the total
derivative along the flow: one JVP with tangents ``(v, 0, 1)`` in
``(z, r, t)`` (without a graph; the prediction comes from a graded pass
with the same dropout mask, or, ``single_pass``, from the JVP's own primal
as in the official code). The loss is
``||u - stopgrad(u_tgt)||^2`` summed over the image, divided by the
stop-gradient ``(loss + eps)^p`` (the adaptive weighting, Section 4.3).
With classifier-free guidance in training (Section 4.2) the velocity ``v``
becomes the guided field of Eq. 21 wherever a sample keeps its class.
"""
from typing import Sequence

import torch

from mmcm.registry import MODELS
from mmcm.utils.choices import checked_choice
from mmcm.utils.functional import (append_dims, training_mode,
                                   with_shared_dropout)
from mmcm.utils.jvp import (JVP_METHODS, directional_derivative,
                            jvp_without_grad)
from ..parameterisations import MeanFlowParameterisation
from .base import Objective, draw

TIME_SAMPLERS = ('v0', 'v1')


def logit_normal_times(batch_size: int, p_mean: float, p_std: float,
                       device) -> torch.Tensor:
    """``t = sigmoid(P_mean + P_std n)``, ``n ~ N(0, 1)`` (Section 4.3)."""
    return torch.sigmoid(torch.randn(batch_size, device=device) * p_std +
                         p_mean)


def meanflow_time_pair(t: torch.Tensor, r: torch.Tensor,
                       same: torch.Tensor, sampler: str = 'v1'):
    """``(t, r)`` with ``t >= r`` from two independent draws, ``r = t``
    (flow matching) where ``same`` is true.

    ``'v0'`` (the paper's): order the draws, then set ``r = t`` where
    ``same``; ``'v1'`` (the official code's default): set ``r = t`` where
    ``same``, then ``r = min(t, r)``.
    """
    if sampler == 'v0':
        t, r = torch.maximum(t, r), torch.minimum(t, r)
        return t, torch.where(same, t, r)
    r = torch.where(same, t, r)
    return t, torch.minimum(t, r)


def guided_velocity(velocity: torch.Tensor, unconditional: torch.Tensor,
                    conditional: torch.Tensor, scale: torch.Tensor,
                    mixture: torch.Tensor) -> torch.Tensor:
    """``v~ = w v + k u(z, t, t | c) + (1 - w - k) u(z, t, t | null)``:
    MeanFlow's guided target velocity (Geng et al. 2025, Eq. 21; Eq. 19
    with ``k = 0``), ``w`` and ``k`` per sample."""
    scale, mixture = (append_dims(value, velocity.ndim)
                      for value in (scale, mixture))
    return (scale * velocity + mixture * conditional +
            (1 - scale - mixture) * unconditional)


@MODELS.register_module()
class MeanFlowObjective(Objective):
    """Per-sample MeanFlow loss (see the module docstring), on the
    :class:`~mmcm.models.parameterisations.MeanFlowParameterisation`.

    The draws follow the official code's order: the noise ``e``, the
    normals of ``t`` and of ``r``, then the uniform that decides whether
    ``r`` differs from ``t``; ``batch`` may hold a fixed ``noise``, ``t``
    and ``r`` (the time pair after :func:`meanflow_time_pair`).

    Args:
        time_sampler: ``'v1'`` (the official code's default) or ``'v0'``
            (the paper's; :func:`meanflow_time_pair`).
        p_mean_t, p_std_t, p_mean_r, p_std_r: The logit-normal draws of
            ``t`` and ``r`` (official defaults -0.6, 1.6, -4.0, 1.6).
        ratio: Probability that ``r`` differs from ``t`` (official: 0.75;
            the rest is flow matching, ``r = t``).
        norm_p, norm_eps: The adaptive weighting ``1 / (loss + eps)^p``
            (official: 0.75, 1e-3).
        jvp: ``'exact'`` (forward-mode AD, default) or
            ``'finite-difference'`` (:mod:`mmcm.utils.jvp`).
        jvp_step: The finite difference's step.
        single_pass: Take the prediction from the JVP's own pass (dual
            numbers under grad mode, as the official code), rather than
            from a second, graded forward pass with the same dropout mask
            beside a JVP without a graph (default). The loss and gradient
            are the same; the single pass keeps the tangent's graph too
            (about 5x the peak memory of a CT step on CPU, see README's
            Speed section) for no gain in time. Under autocast the
            prediction always has its own low-precision pass.
        guidance_scale, guidance_mixture: ``w`` and ``k`` of the guided
            velocity (:func:`guided_velocity`); ``1`` and ``0`` train
            without guidance. The network's own ``u(z, t, t)`` (no dropout,
            no gradient) gives the conditional and null-class terms.
        guidance_interval: The ``t`` range where guidance applies (``w = 1,
            k = 0`` outside), e.g. ``(0, 0.75)`` for the paper's XL/2.
        class_dropout: Probability that a sample trains with the null class
            and the plain ``v`` (the paper: 0.1 with guidance); needs a
            network with a null class (``ADMUNet(null_class=True)``).
            ``batch`` may hold the fixed mask ``class_dropped``.
    """

    parameterisation = MeanFlowParameterisation

    def __init__(self, time_sampler: str = 'v1', p_mean_t: float = -0.6,
                 p_std_t: float = 1.6, p_mean_r: float = -4.0,
                 p_std_r: float = 1.6, ratio: float = 0.75,
                 norm_p: float = 0.75, norm_eps: float = 1e-3,
                 jvp: str = 'exact', jvp_step: float = 1e-3,
                 single_pass: bool = False, guidance_scale: float = 1.0,
                 guidance_mixture: float = 0.0,
                 guidance_interval: Sequence[float] = (0.0, 1.0),
                 class_dropout: float = 0.0):
        self.time_sampler = checked_choice('time_sampler', time_sampler,
                                           TIME_SAMPLERS)
        self.t_distribution = (p_mean_t, p_std_t)
        self.r_distribution = (p_mean_r, p_std_r)
        self.ratio = ratio
        self.norm_p, self.norm_eps = norm_p, norm_eps
        self.jvp = checked_choice('jvp', jvp, JVP_METHODS)
        self.jvp_step = jvp_step
        self.single_pass = single_pass
        if not 0 <= class_dropout < 1:
            raise ValueError(f'class_dropout lies in [0, 1), got '
                             f'{class_dropout}')
        self.guidance_scale = float(guidance_scale)
        self.guidance_mixture = float(guidance_mixture)
        self.guidance_interval = tuple(float(v) for v in guidance_interval)
        self.class_dropout = float(class_dropout)

    @property
    def guided(self) -> bool:
        """Whether the target velocity is guided."""
        return self.guidance_scale != 1 or self.guidance_mixture != 0

    def check(self, network, parameterisation) -> None:
        super().check(network, parameterisation)
        if (self.guided or self.class_dropout) and getattr(
                network, 'null_label', None) is None:
            raise ValueError('guidance and class_dropout need a network '
                             'with a null class (ADMUNet(null_class=True, '
                             'num_classes=...))')

    def time_pair(self, batch_size: int, device):
        """``(t, r)`` drawn as the official ``sample_two_timesteps``."""
        t = logit_normal_times(batch_size, *self.t_distribution, device)
        r = logit_normal_times(batch_size, *self.r_distribution, device)
        # r = t where u < 1 - ratio, u ~ U(0, 1), as the official sampler
        same = torch.rand(batch_size, device=device) < 1 - self.ratio
        return meanflow_time_pair(t, r, same, self.time_sampler)

    def __call__(self, batch, networks, parameterisation, step):
        x = batch['img']
        noise = draw(batch, 'noise', lambda: torch.randn_like(x))
        t, r = (batch['t'], batch['r']) if 't' in batch else self.time_pair(
            x.shape[0], x.device)
        shape = (-1, ) + (1, ) * (x.ndim - 1)
        z = (1 - t.view(shape)) * x + t.view(shape) * noise
        velocity, labels = noise - x, batch.get('labels')
        if self.guided or self.class_dropout:
            velocity, labels = self._guide(batch, networks.online,
                                           parameterisation, z, t, velocity)
        u = parameterisation.mean_velocity(networks.online, labels)
        prediction, dudt = self._prediction_and_derivative(
            u, (z, t, r), (velocity, torch.ones_like(t), torch.zeros_like(r)))
        target = (velocity - (t - r).view(shape) * dudt).detach()
        squared = (prediction - target).pow(2).flatten(1).sum(1)
        weight = (squared.detach() + self.norm_eps)**self.norm_p
        return squared / weight, dict(
            flow_matching_fraction=(t == r).float().mean())

    def _prediction_and_derivative(self, u, primals, tangents):
        """``u(z, t, r)`` with its graph and ``du/dt`` along the tangents
        (see ``single_pass``)."""
        if self.single_pass and not torch.is_autocast_enabled(
                primals[0].device.type):
            return directional_derivative(u, primals, tangents, self.jvp,
                                          self.jvp_step)
        (_, dudt), prediction = with_shared_dropout(
            primals[0].device,
            lambda: jvp_without_grad(u, primals, tangents, self.jvp,
                                     self.jvp_step),
            lambda: u(*primals))
        return prediction, dudt

    def _guide(self, batch, network, parameterisation, z, t, velocity):
        """The velocity (guided where a sample keeps its class) and the
        labels (the null class where it drops it)."""
        labels = batch['labels']
        null = torch.full_like(labels, network.null_label)
        dropped = draw(batch, 'class_dropped', lambda: torch.rand(
            labels.shape[0], device=labels.device) < self.class_dropout)
        if self.guided:
            low, high = self.guidance_interval
            inside = (t >= low) & (t <= high)
            scale = torch.where(inside, self.guidance_scale, 1.0).to(t)
            mixture = torch.where(inside, self.guidance_mixture, 0.0).to(t)
            with torch.no_grad(), training_mode(network, False):
                unconditional = parameterisation.mean_velocity(
                    network, null)(z, t, t)
                conditional = parameterisation.mean_velocity(
                    network, labels)(z, t, t) if self.guidance_mixture else 0
            guided = guided_velocity(velocity, unconditional, conditional,
                                     scale, mixture)
            velocity = torch.where(append_dims(dropped, velocity.ndim),
                                   velocity, guided.to(velocity.dtype))
        return velocity, torch.where(dropped, null, labels)


__all__ = ['MeanFlowObjective', 'guided_velocity', 'logit_normal_times',
           'meanflow_time_pair']
