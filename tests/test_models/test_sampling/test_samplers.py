import numpy as np
import pytest
import torch

from mmcm.models.sampling import (karras_sigma, karras_sigmas, sample_euler,
                                  sample_heun, sample_multistep,
                                  sample_onestep, sampler_sigmas, validate_ts)


class OnesGenerator:
    """Noise of all ones, so re-noising is visible in the output."""

    def randn_like(self, x):
        return torch.ones_like(x)


def gaussian_denoiser(x, sigma):
    """Optimal denoiser for data ~ N(0, 1): ``x / (1 + sigma^2)``."""
    return x / (1 + sigma.reshape(-1, 1, 1, 1)**2)


def ode_solution(x_T, sigma_max):
    """Exact PF-ODE end point for N(0, 1) data: ``x_T / sqrt(1 + smax^2)``."""
    return x_T / (1 + sigma_max**2)**0.5


def test_onestep_calls_model_once_at_sigma_max():
    seen = []

    def model(x, sigma):
        seen.append(sigma)
        return x * 0 + 0.25

    sigmas = karras_sigmas(40, 0.002, 80.0)
    out = sample_onestep(model, torch.randn(3, 1, 2, 2), sigmas)
    assert len(seen) == 1
    assert seen[0].tolist() == pytest.approx([80.0] * 3)
    assert torch.all(out == 0.25)


def test_multistep_levels_and_renoising():
    seen = []

    def model(x, sigma):
        seen.append(float(sigma[0]))
        return torch.full_like(x, 0.5)

    x = torch.zeros(2, 1, 2, 2)
    sigmas = sampler_sigmas('multistep', 40, 0.002, 80.0, ts=(0, 10, 22))
    assert sigmas.dtype == torch.float64 and len(sigmas) == 3
    out = sample_multistep(model, x, sigmas, OnesGenerator(), 0.002)
    assert seen == pytest.approx([80.0, karras_sigma(10, 40, 0.002, 80.0)])
    # The last jump re-noises to sigma_22 = 1.382368 with std
    # sqrt(sigma^2 - sigma_min^2).
    expected = 0.5 + np.sqrt(1.382368**2 - 0.002**2)
    assert torch.allclose(out, torch.full_like(out, expected))


def test_multistep_ending_at_last_index_adds_no_noise():
    sigmas = sampler_sigmas('multistep', 40, 0.002, 80.0, ts=(0, 22, 39))
    out = sample_multistep(lambda x, s: torch.full_like(x, -0.3),
                           torch.zeros(1, 1, 2, 2), sigmas, OnesGenerator(),
                           0.002)
    assert torch.allclose(out, torch.full_like(out, -0.3))


def _relative_errors(num_points):
    x_T = torch.randn(4, 1, 2, 2, generator=torch.Generator().manual_seed(0))
    x_T = x_T * 80.0
    sigmas = karras_sigmas(num_points, 0.002, 80.0)
    exact = ode_solution(x_T, 80.0)
    heun = sample_heun(gaussian_denoiser, x_T, sigmas, OnesGenerator())
    euler = sample_euler(gaussian_denoiser, x_T, sigmas)
    scale = exact.abs().max()
    return ((heun - exact).abs().max() / scale,
            (euler - exact).abs().max() / scale)


def test_heun_is_second_order_and_euler_first_order():
    """Quadrupling the steps cuts Heun's error ~16x and Euler's ~4x."""
    heun_40, euler_40 = _relative_errors(40)
    heun_160, euler_160 = _relative_errors(160)
    assert heun_40 < 1e-2 and heun_40 < euler_40
    assert heun_160 / heun_40 < 1 / 10
    assert 1 / 6 < euler_160 / euler_40 < 1 / 2


def test_heun_churn_adds_noise():
    x_T = torch.zeros(2, 1, 2, 2)
    sigmas = karras_sigmas(4, 0.002, 80.0)
    out = sample_heun(lambda x, s: x * 0, x_T, sigmas, OnesGenerator(),
                      s_churn=10.0)
    assert out.abs().sum() == 0  # D = 0 pulls everything to zero at the end
    first = sample_heun(lambda x, s: x * 0, x_T, sigmas[:2].clone(),
                        OnesGenerator(), s_churn=10.0)
    assert torch.all(first > 0)  # churned noise survives a partial solve


@pytest.mark.parametrize('ts, message', [((0, ), 'at least two'),
                                         ((0, 5, 5), 'ascending'),
                                         ((0, 40), r'\[0, steps - 1')])
def test_validate_ts_errors(ts, message):
    with pytest.raises(ValueError, match=message):
        validate_ts(ts, 40)


def test_sampler_sigmas_are_the_grid_or_its_levels_at_ts():
    grid = sampler_sigmas('heun', 5, 0.002, 80.0)
    assert torch.equal(grid, karras_sigmas(5, 0.002, 80.0))
    assert grid[-1] == 0 and grid.dtype == torch.float32
    levels = sampler_sigmas('multistep', 5, 0.002, 80.0, ts=(1, 3))
    assert levels.tolist() == [karras_sigma(1, 5, 0.002, 80.0),
                               karras_sigma(3, 5, 0.002, 80.0)]
    with pytest.raises(ValueError, match='ascending'):
        sampler_sigmas('multistep', 5, 0.002, 80.0, ts=(3, 1))
