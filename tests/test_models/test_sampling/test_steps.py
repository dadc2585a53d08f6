"""The single sampler steps, against hand-computed values."""
import pytest
import torch

from mmcm.models.sampling import heun_step, multistep_renoise, ode_derivative


def halving_denoiser(seen):
    """``D(x, sigma) = x / 2`` whatever ``sigma``; records each ``sigma``."""

    def denoiser(x, sigma):
        seen.append(sigma.tolist())
        return x / 2

    return denoiser


def test_ode_derivative_for_each_kind_of_level():
    x = torch.tensor([[2., 4.], [6., 8.]])
    denoised = torch.tensor([[1., 1.], [2., 2.]])
    # (x - D) = [[1, 3], [4, 6]], divided by the level(s).
    assert ode_derivative(x, denoised, 0.5).tolist() == [[2., 6.], [8., 12.]]
    assert ode_derivative(x, denoised, torch.tensor(2.)).tolist() == [
        [0.5, 1.5], [2., 3.]]
    assert ode_derivative(x, denoised, torch.tensor([0.5, 2.])).tolist() == [
        [2., 6.], [2., 3.]]


def test_heun_step_with_a_number():
    # D = x / 2, so d = x / (2 sigma). From 2 to 1 with x = 16: d = 4,
    # Euler x' = 16 - 4 = 12, d' = (12 - 6) / 1 = 6, Heun
    # 16 + (4 + 6) / 2 * (-1) = 11.
    seen = []
    x = torch.full((2, 1, 1, 1), 16.)
    out = heun_step(halving_denoiser(seen), x, 2.0, 1.0)
    assert out.flatten().tolist() == [11., 11.]
    assert seen == [[2., 2.], [1., 1.]]


def test_heun_step_to_zero_is_one_euler_step():
    # From 2 to 0: d = 4, x' = 16 + 4 * (-2) = 8, no second evaluation.
    seen = []
    x = torch.full((1, 1), 16.)
    assert heun_step(halving_denoiser(seen), x, 2.0, 0.0).tolist() == [[8.]]
    assert seen == [[2.]]
    seen.clear()
    zero = torch.tensor(0.)
    assert heun_step(halving_denoiser(seen), x, torch.tensor(2.),
                     zero).tolist() == [[8.]]
    assert seen == [[2.]]


def test_heun_step_with_one_level_per_sample():
    # Sample 0 from 2 to 1: 11 (above). Sample 1 from 4 to 1: d = 16 / 8
    # = 2, x' = 16 + 2 * (-3) = 10, d' = (10 - 5) / 1 = 5, Heun
    # 16 + (2 + 5) / 2 * (-3) = 5.5.
    seen = []
    x = torch.full((2, 1, 1), 16.)
    out = heun_step(halving_denoiser(seen), x, torch.tensor([2., 4.]),
                    torch.tensor([1., 1.]))
    assert out.flatten().tolist() == [11., 5.5]
    assert seen == [[2., 4.], [1., 1.]]


def test_multistep_renoise():
    x0 = torch.tensor([1., 1.])
    noise = torch.tensor([1., -0.5])
    # sqrt(5^2 - 3^2) = 4: 1 + 4 and 1 - 2.
    assert multistep_renoise(x0, noise, 5.0, 3.0).tolist() == [5., -1.]
    assert multistep_renoise(x0, noise, torch.tensor(5., dtype=torch.float64),
                             3.0).tolist() == [5., -1.]
    # At (or, rounded, below) sigma_min no noise is added.
    assert multistep_renoise(x0, noise, 0.002, 0.002).tolist() == [1., 1.]
    assert multistep_renoise(x0, noise, 0.0019, 0.002).tolist() == [1., 1.]
    # sqrt(0.5^2 - 0.3^2) = 0.4.
    assert multistep_renoise(x0, noise, 0.5, 0.3).tolist() == pytest.approx(
        [1.4, 0.8])
