"""The noise-level grid of Karras et al. (2022), Eq. (5)."""
import torch


def karras_sigma(index, num_points: int, sigma_min: float, sigma_max: float,
                 rho: float = 7.0):
    """Noise level at (possibly fractional) ``index`` of an N-point grid.

    ``s_i = (smax^(1/rho) + i / (N - 1) (smin^(1/rho) - smax^(1/rho)))^rho``
    so index 0 is ``sigma_max`` and index ``N - 1`` is ``sigma_min``.
    """
    max_inv_rho = sigma_max**(1 / rho)
    min_inv_rho = sigma_min**(1 / rho)
    return (max_inv_rho + index / (num_points - 1) *
            (min_inv_rho - max_inv_rho))**rho


def karras_sigmas(num_points: int, sigma_min: float, sigma_max: float,
                  rho: float = 7.0, append_zero: bool = True,
                  device='cpu') -> torch.Tensor:
    """Descending grid of ``num_points`` levels, then a final 0 if asked."""
    ramp = torch.linspace(0, 1, num_points)
    sigmas = karras_sigma(ramp * (num_points - 1), num_points, sigma_min,
                          sigma_max, rho)
    if append_zero:
        sigmas = torch.cat([sigmas, sigmas.new_zeros([1])])
    return sigmas.to(device)
