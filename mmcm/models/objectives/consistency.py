"""Consistency distillation and training losses, Song et al. (2023).

CD (Algorithm 2) and CT (Algorithm 3) share one loss: the online network at
the higher noise level ``t_{n+1}`` is pulled towards the target network at
the lower level ``t_n``, where the lower point comes from one Heun step of
the teacher's probability-flow ODE (CD) or from the same noise at the lower
level (CT, the one-sample score estimate).
"""
import math
from typing import Callable, Union

import torch

from mmcm.registry import MODELS
from mmcm.utils.functional import append_dims, with_shared_dropout
from ..losses import build_distance, get_weighting
from ..sampling import heun_step, karras_sigma
from .base import Objective, draw

Denoiser = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def consistency_sigma_pair(indices: torch.Tensor, num_scales: int,
                           sigma_min: float, sigma_max: float,
                           rho: float = 7.0):
    """Adjacent levels ``(t_{n+1}, t_n)`` of an N-point Karras grid.

    ``indices`` count from ``sigma_max`` (index 0), so the first returned
    level is the higher one, as in the official ``consistency_losses``.
    """
    high = karras_sigma(indices, num_scales, sigma_min, sigma_max, rho)
    low = karras_sigma(indices + 1, num_scales, sigma_min, sigma_max, rho)
    return high, low


def lognormal_index_probabilities(num_scales: int, sigma_min: float,
                                  sigma_max: float, rho: float = 7.0,
                                  p_mean: float = -1.1,
                                  p_std: float = 2.0) -> torch.Tensor:
    """Probability of each pair index under improved CT's lognormal.

    Song & Dhariwal (2023), Section 3.5: ``p(sigma_i)`` proportional to
    ``erf((ln sigma_{i+1} - P_mean) / (sqrt(2) P_std)) - erf((ln sigma_i -
    P_mean) / (sqrt(2) P_std))``: the mass a lognormal puts between the
    pair's two levels. Index ``n`` of the result is the pair
    :func:`consistency_sigma_pair` returns for ``n`` (0 is the noisiest).
    """
    indices = torch.arange(num_scales - 1, dtype=torch.float64)
    high, low = consistency_sigma_pair(indices, num_scales, sigma_min,
                                       sigma_max, rho)
    scale = math.sqrt(2) * p_std
    mass = (torch.erf((high.log() - p_mean) / scale) -
            torch.erf((low.log() - p_mean) / scale))
    return mass / mass.sum()


class IndexSampler:
    """Draws the pair index ``n`` of each sample of a consistency loss.

    Args:
        kind: ``'uniform'`` on ``[0, N - 2]`` (Song et al. 2023) or
            ``'lognormal'`` (improved CT).
        p_mean, p_std: The lognormal's ``P_mean`` and ``P_std``.
    """

    KINDS = ('uniform', 'lognormal')

    def __init__(self, kind: str = 'uniform', p_mean: float = -1.1,
                 p_std: float = 2.0):
        if kind not in self.KINDS:
            raise ValueError(f'index sampling must be one of {self.KINDS}, '
                             f'got {kind!r}')
        self.kind, self.p_mean, self.p_std = kind, p_mean, p_std
        self._cache = {}

    def __call__(self, batch_size: int, num_scales: int, sigma_min: float,
                 sigma_max: float, rho: float, device) -> torch.Tensor:
        if num_scales != int(num_scales):
            raise ValueError(f'the Karras grid needs a whole number of points'
                             f', got N = {num_scales} (StagedScales with a '
                             'ratio_limit gives ECT/TCM a fractional q^a)')
        if self.kind == 'uniform':
            return torch.randint(0, num_scales - 1, (batch_size, ),
                                 device=device)
        key = (num_scales, sigma_min, sigma_max, rho)
        if key not in self._cache:
            self._cache[key] = lognormal_index_probabilities(
                num_scales, sigma_min, sigma_max, rho, self.p_mean,
                self.p_std).float()
        probs = self._cache[key]
        return torch.multinomial(probs, batch_size, replacement=True).to(
            device)


@torch.no_grad()
def heun_teacher_step(teacher: Denoiser, x: torch.Tensor, sigma: torch.Tensor,
                      next_sigma: torch.Tensor) -> torch.Tensor:
    """One Heun step of the PF ODE from ``sigma`` to ``next_sigma``.

    Song et al. (2023) Eq. (6) with the Heun solver of Karras et al. (2022)
    Algorithm 1, the ODE being ``dx/dsigma = (x - D(x, sigma)) / sigma``.
    """
    return heun_step(teacher, x, sigma, next_sigma)


@MODELS.register_module()
class ConsistencyObjective(Objective):
    """Per-sample CD/CT loss ``lambda(t_{n+1}) d(f(x_{n+1}), f^-(x_n))``.

    ``t_{n+1}, t_n`` are adjacent levels of the parameterisation's
    ``N(k)``-point Karras grid; ``x_n`` is one Heun step of the teacher's
    PF ODE below ``x_{n+1}`` (CD, with a teacher) or the same noise at the
    lower level (CT). The online and the target network share their
    dropout masks. ``batch`` may hold a fixed ``noise``.

    Args:
        distance: Config of the distance ``d`` (``'l1'``, ``'l2'``,
            ``'l2-32'``, ``'lpips'`` or a dict).
        weighting: Name of ``lambda``, e.g. ``'uniform'`` (official CM) or
            ``'inverse-gap'`` (improved CT).
        index_sampling: ``'uniform'``, ``'lognormal'`` or a dict of
            :class:`IndexSampler` arguments, e.g.
            ``dict(kind='lognormal', p_mean=-1.1, p_std=2.0)``.
    """

    uses_target = True
    uses_num_scales = True
    accepts_teacher = True

    def __init__(self, distance='lpips', weighting: str = 'uniform',
                 index_sampling: Union[str, dict] = 'uniform'):
        self.distance = build_distance(distance)
        self.weighting = weighting
        if isinstance(index_sampling, str):
            index_sampling = dict(kind=index_sampling)
        self.index_sampler = IndexSampler(**index_sampling)

    def __call__(self, batch, networks, parameterisation, step):
        x_start, labels = batch['img'], batch.get('labels')
        noise = draw(batch, 'noise', lambda: torch.randn_like(x_start))
        p = parameterisation
        indices = self.index_sampler(x_start.shape[0], step.num_scales,
                                     p.sigma_min, p.sigma_max, p.rho,
                                     x_start.device)
        sigma, next_sigma = consistency_sigma_pair(
            indices, step.num_scales, p.sigma_min, p.sigma_max, p.rho)
        x_t = x_start + noise * append_dims(sigma, x_start.ndim)
        if networks.teacher is None:
            # CT: the same noise at the lower level (an Euler step with the
            # one-sample estimate x_0 = x_start, official euler_solver).
            x_next = x_start + noise * append_dims(next_sigma, x_start.ndim)
        else:
            teacher = p.diffusion_counterpart().denoiser(networks.teacher,
                                                         labels)
            x_next = heun_teacher_step(teacher, x_t, sigma, next_sigma)
        online = p.denoiser(networks.online, labels)
        target = p.denoiser(networks.target, labels)
        prediction, target_prediction = with_shared_dropout(
            x_start.device, lambda: online(x_t, sigma),
            lambda: no_grad_call(target, x_next.detach(), next_sigma))
        weights = get_weighting(self.weighting, sigma, p.sigma_data,
                                lower_sigma=next_sigma)
        return self.distance(prediction, target_prediction) * weights, {}


@torch.no_grad()
def no_grad_call(fn: Callable, *args) -> torch.Tensor:
    """``fn(*args)`` without a graph, detached."""
    return fn(*args).detach()
