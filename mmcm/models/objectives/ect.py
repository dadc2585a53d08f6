"""Easy consistency tuning (ECT), Geng et al., "Consistency Models Made
Easy" (ICLR 2025).

ECT starts from a pretrained diffusion model (an EDM denoiser is the
consistency model of the limit ``dt -> 0``) and continues with consistency
training whose pair gap shrinks stage by stage: for ``t`` drawn lognormal,
the lower point is ``r = t (1 - n(t) / q^a)`` with
``n(t) = 1 + k sigmoid(-b t)`` (Eq. 18 of the paper, its "sigmoid"
mapping) and ``a`` growing by one per stage. Here ``q^a`` is the
``num_scales`` that :class:`~mmcm.models.curricula.StagedScales` gives, so
the curriculum and the trainer are those of every other CT recipe.
"""
from typing import Union

import torch

from mmcm.registry import MODELS
from mmcm.utils.functional import append_dims, with_shared_dropout
from ..losses import build_distance, get_weighting
from .base import Objective, draw, lognormal_sigmas


def ect_lower_time(t: torch.Tensor, num_scales: float, k: float = 8.0,
                   b: float = 1.0) -> torch.Tensor:
    """``r = max(t (1 - n(t) / num_scales), 0)``, ``n(t) = 1 + k
    sigmoid(-b t)``: Geng et al. (2024), Eq. 18, with ``num_scales = q^a``.
    """
    adjustment = 1 + k * torch.sigmoid(-b * t)
    return torch.clamp(t * (1 - adjustment / num_scales), min=0)


@MODELS.register_module()
class ECTObjective(Objective):
    """Per-sample ECT loss ``w(t, r) d(f(x_t, t), stopgrad f(x_r, r))``.

    ``x_t`` and ``x_r`` share their noise, the two networks their dropout
    masks; where ``r = 0`` the target is the data itself (the boundary
    condition ``f(x, 0) = x``). Meant for the EDM parameterisation
    (``EDMParameterisation``), which is defined down to ``t -> 0``, and the
    online network as the target (``FixedTargetEMA(decay=0)``); the
    curriculum's ``N(k)`` is ``q^a``. No teacher: the online network starts
    from the diffusion model (``training.init_from``). ``batch`` may hold
    a fixed ``noise`` and ``t``.

    Args:
        distance: ``d``; by default ``sqrt(|x - y|^2 + c^2) - c`` with
            ``c = 0`` (the l2 norm), the default of the paper's code;
            ``'pseudo-huber'`` takes improved CT's ``c``; or any distance.
        weighting: ``w``: ``'inverse-gap'``, ``1 / (t - r)`` (the paper's),
            or any name of ``get_weighting`` (``'karras'``:
            ``1 / t^2 + 1 / sigma_data^2``).
        p_mean, p_std: The lognormal distribution of ``t``.
        k, b: The mapping function's ``n(t) = 1 + k sigmoid(-b t)``.
    """

    uses_target = True
    uses_num_scales = True

    def __init__(self, distance: Union[str, dict, None] = None,
                 weighting: str = 'inverse-gap', p_mean: float = -1.1,
                 p_std: float = 2.0, k: float = 8.0, b: float = 1.0):
        self.distance = build_distance(
            distance or dict(type='PseudoHuberDistance', c=0.0))
        self.weighting = weighting
        self.p_mean, self.p_std = p_mean, p_std
        self.k, self.b = k, b

    def __call__(self, batch, networks, parameterisation, step):
        x_start, labels = batch['img'], batch.get('labels')
        noise = draw(batch, 'noise', lambda: torch.randn_like(x_start))
        t = draw(batch, 't', lambda: lognormal_sigmas(
            x_start.shape[0], self.p_mean, self.p_std, x_start.device))
        r = ect_lower_time(t, step.num_scales, self.k, self.b)
        online = parameterisation.denoiser(networks.online, labels)
        target = parameterisation.denoiser(networks.target, labels)
        prediction, goal = with_shared_dropout(
            x_start.device,
            lambda: online(x_start + noise * append_dims(t, noise.ndim), t),
            lambda: self._target(target, x_start, noise, r))
        weights = get_weighting(self.weighting, t, parameterisation.sigma_data,
                                lower_sigma=r)
        return self.distance(prediction, goal) * weights, {}

    @staticmethod
    @torch.no_grad()
    def _target(target, x_start, noise, r) -> torch.Tensor:
        """``f^-(x_r, r)``, and ``x_0`` itself where ``r = 0``."""
        at_boundary = append_dims(r == 0, x_start.ndim)
        if bool(at_boundary.all()):
            return x_start
        safe_r = torch.where(r > 0, r, torch.ones_like(r))
        x_r = x_start + noise * append_dims(r, x_start.ndim)
        return torch.where(at_boundary, x_start, target(x_r, safe_r))
