"""Truncated consistency models (TCM), Lee et al., "Truncated Consistency
Models" (ICLR 2025), stage 2.

Stage 1 is an ordinary consistency model. Stage 2 trains a copy of it on
``t >= t'`` only (``t'``: the transition time) and leaves the rest of the
trajectory to the frozen stage-1 model: the target of a pair whose lower
point ``r`` falls below ``t'`` is the stage-1 model's ``f_1(x_r, r)``
(Eq. 8 of the paper, the "truncated" consistency function). A fraction of
each batch sits at ``t = t'`` itself, whose targets all come from the
stage-1 model: the boundary loss, weighted apart (Eq. 9). ``t`` follows a
log-Student-t distribution truncated to ``[t', sigma_max]``.

The pairs, distance and weighting are those of easy consistency tuning,
which the authors' code (NVlabs/TCM, ``training/loss.py``) builds on.
"""
from typing import Union

import numpy as np
import torch

from mmcm.registry import MODELS
from mmcm.utils.choices import checked_choice
from mmcm.utils.functional import (append_dims, rng_state, set_rng_state,
                                   training_mode, with_shared_dropout)
from ..losses import get_weighting
from .base import draw
from .ect import ECTObjective, ect_lower_time

TIME_DISTRIBUTIONS = ('student-t', 'normal')


def truncated_log_times(uniform: torch.Tensor, p_mean: float, p_std: float,
                        lower: float, upper: float,
                        distribution: str = 'student-t',
                        df: float = 2.0) -> torch.Tensor:
    """``t`` with ``log t`` following a normal or Student-t law of location
    ``p_mean`` and scale ``p_std``, truncated to ``[log lower, log upper]``,
    by inverse transform of ``uniform`` (values in ``[0, 1]``): Lee et al.
    (2025), Section 4.2, the authors' ``truncated_t`` / ``truncated_normal``.
    """
    from scipy import stats  # the eval extra; the authors' code uses it too
    law = stats.t(df) if distribution == 'student-t' else stats.norm()
    low, high = law.cdf((np.log([lower, upper]) - p_mean) / p_std)
    u = uniform.detach().cpu().double().numpy()
    log_t = law.ppf(low + (high - low) * u) * p_std + p_mean
    times = torch.from_numpy(np.clip(np.exp(log_t), lower, upper))
    return times.to(device=uniform.device, dtype=uniform.dtype)


def boundary_mask(batch_size: int, probability: float,
                  device=None) -> torch.Tensor:
    """The samples of a batch placed at ``t = t'``: exactly
    ``floor(batch_size * probability)`` of them, at random positions (the
    authors' code), or each with ``probability`` where that count is 0
    (FastGen's fallback for small batches)."""
    count = int(batch_size * probability)
    if count == 0:
        return torch.rand(batch_size, device=device) < probability
    mask = torch.zeros(batch_size, dtype=torch.bool, device=device)
    mask[torch.randperm(batch_size)[:count].to(mask.device)] = True
    return mask


def split_means_weights(boundary: torch.Tensor,
                        boundary_weight: float) -> torch.Tensor:
    """Per-sample weights whose batch mean of ``w_i l_i`` is
    ``mean(l[~boundary]) + boundary_weight * mean(l[boundary])``, the
    stage-2 loss of Eq. 9 (each mean over its own samples)."""
    batch = boundary.numel()
    at_boundary = int(boundary.sum())
    inside = batch - at_boundary
    inside_weights = torch.full(boundary.shape, batch / max(inside, 1),
                                dtype=torch.float64, device=boundary.device)
    return torch.where(boundary, boundary_weight * batch / max(at_boundary, 1),
                       inside_weights)


@MODELS.register_module()
class TCMObjective(ECTObjective):
    """Per-sample stage-2 TCM loss (Lee et al. 2025, Eq. 9).

    For ``t >= t'`` drawn as :func:`truncated_log_times` and ``r`` from
    easy consistency tuning's mapping (``N(k)`` of the curriculum is its
    ``q^a``), the loss ``w(t, r) d(f(x_t, t), stopgrad f_trunc(x_r, r))``
    where ``f_trunc`` is the target network for ``r >= t'`` and the frozen
    stage-1 model (``networks.teacher``) below. ``floor(B p)`` samples of
    each batch sit at ``t = t' + 1e-8`` (the authors' code; in float32 the
    offset rounds away, which changes nothing here: the prediction always
    comes from the online network); the loss is
    the mean over the others plus ``boundary_weight`` times the mean over
    those, returned as per-sample values whose mean is that sum. As in the
    authors' code the stage-1 model runs in training mode (its dropout
    on) with the masks of the two other evaluations. ``batch`` may hold a
    fixed ``noise``, ``t`` and ``boundary`` (bool).

    Args:
        transition_t: ``t'``, the lower end of the trained range.
        boundary_prob: Fraction ``p`` of each batch at ``t = t'``.
        boundary_weight: Weight ``w_b`` of the boundary loss.
        p_mean, p_std: Location and scale of ``log t``.
        time_distribution: ``'student-t'`` (the paper's stage 2) or
            ``'normal'``.
        df: Degrees of freedom of the Student-t law.
        stage_one_dropout: Run the stage-1 model with its dropout as the
            authors' code does; ``False`` evaluates it deterministically.
        distance, weighting, k, b: As :class:`ECTObjective` (the authors'
            CIFAR-10 run: ``sqrt(|x - y|^2 + 1e-16) - 1e-8``, ``1 / (t -
            r)``; ImageNet-64: ``c = 0.06``, the Karras weighting).
    """

    accepts_teacher = True

    def __init__(self, transition_t: float = 1.0, boundary_prob: float = 0.25,
                 boundary_weight: float = 0.1, p_mean: float = 0.0,
                 p_std: float = 0.2, time_distribution: str = 'student-t',
                 df: float = 0.01, stage_one_dropout: bool = True,
                 distance: Union[str, dict, None] = None,
                 weighting: str = 'inverse-gap', k: float = 8.0,
                 b: float = 1.0):
        super().__init__(distance, weighting, p_mean, p_std, k, b)
        if not 0 <= boundary_prob < 1:
            raise ValueError(f'boundary_prob must lie in [0, 1), got '
                             f'{boundary_prob}')
        if transition_t <= 0:
            raise ValueError(f'transition_t must be positive, got '
                             f'{transition_t}')
        self.transition_t = float(transition_t)
        self.boundary_prob = float(boundary_prob)
        self.boundary_weight = float(boundary_weight)
        self.time_distribution = checked_choice(
            'time_distribution', time_distribution, TIME_DISTRIBUTIONS)
        self.df = float(df)
        self.stage_one_dropout = stage_one_dropout

    def check(self, network, parameterisation) -> None:
        super().check(network, parameterisation)
        if not self.transition_t < parameterisation.sigma_max:
            raise ValueError(f'transition_t ({self.transition_t}) must lie '
                             'below the parameterisation\'s sigma_max '
                             f'({parameterisation.sigma_max})')

    def draw_times(self, batch_size: int, sigma_max: float,
                   device) -> torch.Tensor:
        """``t`` in ``[t', sigma_max]`` (see :func:`truncated_log_times`)."""
        uniform = torch.rand(batch_size, dtype=torch.float64, device=device)
        return truncated_log_times(uniform, self.p_mean, self.p_std,
                                   self.transition_t, sigma_max,
                                   self.time_distribution, self.df)

    def __call__(self, batch, networks, parameterisation, step):
        if networks.teacher is None:
            raise ValueError('TCMObjective needs the stage-1 model as '
                             'training.teacher (its checkpoint)')
        x_start, labels = batch['img'], batch.get('labels')
        size, device = x_start.shape[0], x_start.device
        noise = draw(batch, 'noise', lambda: torch.randn_like(x_start))
        t = draw(batch, 't', lambda: self.draw_times(
            size, parameterisation.sigma_max, device).to(x_start.dtype))
        boundary = draw(batch, 'boundary', lambda: boundary_mask(
            size, self.boundary_prob, device))
        t = torch.where(boundary, torch.full_like(t, self.transition_t + 1e-8),
                        t)
        r = ect_lower_time(t, step.num_scales, self.k, self.b)
        online = parameterisation.denoiser(networks.online, labels)
        prediction, goal = with_shared_dropout(
            device,
            lambda: online(x_start + noise * append_dims(t, noise.ndim), t),
            lambda: self._target(
                self._truncated_network(networks, parameterisation, labels),
                x_start, noise, r))
        weights = get_weighting(self.weighting, t, parameterisation.sigma_data,
                                lower_sigma=r)
        per_sample = self.distance(prediction, goal) * weights
        split = split_means_weights(boundary, self.boundary_weight)
        logs = dict(loss_boundary=self._mean(per_sample, boundary),
                    loss_truncated=self._mean(per_sample, ~boundary))
        return per_sample * split.to(per_sample.dtype), logs

    def _truncated_network(self, networks, parameterisation, labels):
        """``f_trunc(x, sigma)``: the target network where ``sigma >= t'``,
        the stage-1 model below, each run on the whole batch with one
        dropout state (the authors' ``TCMPrecond``)."""
        stage_one = parameterisation.denoiser(networks.teacher, labels)
        target = parameterisation.denoiser(networks.target, labels)

        def network(x, sigma):
            below = append_dims(sigma < self.transition_t, x.ndim)
            state = rng_state(x.device)
            below_out = above_out = None
            if bool(below.any()):
                with training_mode(networks.teacher, self.stage_one_dropout):
                    below_out = stage_one(x, sigma)
            set_rng_state(state)
            if not bool(below.all()):
                above_out = target(x, sigma)
            if below_out is None or above_out is None:
                return above_out if below_out is None else below_out
            return torch.where(below, below_out, above_out)

        return network

    @staticmethod
    def _mean(per_sample: torch.Tensor, mask: torch.Tensor) -> float:
        if not bool(mask.any()):
            return 0.0
        return float(per_sample[mask].detach().mean())
