"""Denoising score matching for EDM teachers, Karras et al. (2022)."""
import torch

from mmcm.registry import MODELS
from mmcm.utils.functional import append_dims
from ..losses import get_weighting


@MODELS.register_module()
class EDMObjective:
    """Per-sample ``lambda(sigma) ||D(x + sigma n, sigma) - x||^2``.

    ``ln(sigma) ~ N(p_mean, p_std^2)`` (Karras et al. 2022, Table 1, the
    official ``lognormal`` schedule sampler) with the ``karras`` weighting
    ``lambda = (sigma^2 + sigma_data^2) / (sigma sigma_data)^2``.
    """

    def __init__(self, p_mean: float = -1.2, p_std: float = 1.2,
                 weighting: str = 'karras', sigma_data: float = 0.5):
        self.p_mean = p_mean
        self.p_std = p_std
        self.weighting = weighting
        self.sigma_data = sigma_data

    def sample_sigmas(self, batch_size: int, device) -> torch.Tensor:
        """Draw ``sigma = exp(p_mean + p_std z)``."""
        return torch.exp(self.p_mean +
                         self.p_std * torch.randn(batch_size, device=device))

    def __call__(self, denoiser, x_start: torch.Tensor) -> torch.Tensor:
        """Return the unreduced per-sample loss, shape ``(N,)``."""
        sigma = self.sample_sigmas(x_start.shape[0], x_start.device)
        noise = torch.randn_like(x_start)
        denoised = denoiser(x_start + noise * append_dims(sigma, x_start.ndim),
                            sigma)
        weights = get_weighting(self.weighting, sigma, self.sigma_data)
        squared = (denoised - x_start)**2
        return squared.mean(dim=tuple(range(1, x_start.ndim))) * weights
