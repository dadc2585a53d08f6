"""Denoising score matching for EDM teachers, Karras et al. (2022)."""
import torch

from mmcm.registry import MODELS
from mmcm.utils.functional import append_dims, mean_flat
from ..losses import get_weighting
from .base import Objective, draw, lognormal_sigmas


@MODELS.register_module()
class EDMObjective(Objective):
    """Per-sample ``lambda(sigma) ||D(x + sigma n, sigma) - x||^2 / D``.

    ``ln(sigma) ~ N(p_mean, p_std^2)`` (Karras et al. 2022, Table 1, the
    official ``lognormal`` schedule sampler) with the ``karras`` weighting
    ``lambda = (sigma^2 + sigma_data^2) / (sigma sigma_data)^2``, through
    the model's parameterisation (EDM's for a teacher). ``batch`` may hold
    a fixed ``sigma`` and ``noise``.
    """

    def __init__(self, p_mean: float = -1.2, p_std: float = 1.2,
                 weighting: str = 'karras'):
        self.p_mean = p_mean
        self.p_std = p_std
        self.weighting = weighting

    def __call__(self, batch, networks, parameterisation, step):
        x_start = batch['img']
        sigma = draw(batch, 'sigma', lambda: lognormal_sigmas(
            x_start.shape[0], self.p_mean, self.p_std, x_start.device))
        noise = draw(batch, 'noise', lambda: torch.randn_like(x_start))
        denoiser = parameterisation.denoiser(networks.online,
                                             batch.get('labels'))
        denoised = denoiser(x_start + noise * append_dims(sigma, x_start.ndim),
                            sigma)
        weights = get_weighting(self.weighting, sigma,
                                parameterisation.sigma_data)
        return mean_flat((denoised - x_start)**2) * weights, {}
