import math

import pytest
import torch

from mmcm.models.parameterisations import (ConsistencyParameterisation,
                                           EDMParameterisation,
                                           TrigFlowParameterisation,
                                           consistency_scalings,
                                           edm_scalings, noise_conditioning)


def test_consistency_scalings_hand_values():
    c_skip, c_out, c_in = consistency_scalings(torch.tensor(1.0), 0.5, 0.002)
    # c_skip = 0.25 / (0.998^2 + 0.25); c_out = 0.998 * 0.5 / sqrt(1.25)
    assert c_skip.item() == pytest.approx(0.25 / 1.246004, rel=1e-6)
    assert c_out.item() == pytest.approx(0.499 / 1.1180340, rel=1e-6)
    assert c_in.item() == pytest.approx(0.8944272, rel=1e-6)


def test_boundary_condition_is_identity_at_sigma_min():
    c_skip, c_out, _ = consistency_scalings(torch.tensor(0.002), 0.5, 0.002)
    assert c_skip.item() == 1.0
    assert c_out.item() == 0.0


def test_edm_scalings_hand_values():
    c_skip, c_out, c_in = edm_scalings(torch.tensor(0.5), 0.5)
    assert c_skip.item() == pytest.approx(0.5)
    assert c_out.item() == pytest.approx(0.25 / math.sqrt(0.5))
    assert c_in.item() == pytest.approx(math.sqrt(2.0))


def test_noise_conditioning():
    sigmas = torch.tensor([1.0, math.e, 80.0])
    expected = torch.tensor([0.0, 250.0, 250 * math.log(80.0)])
    assert torch.allclose(noise_conditioning(sigmas), expected)


def test_parameterisation_composes_network():
    """D(x, s) = c_skip x + c_out F(c_in x, c_noise) with a known F."""
    calls = {}

    def network(x_in, c_noise, y=None):
        calls.update(x_in=x_in, c_noise=c_noise, y=y)
        return torch.full_like(x_in, 2.0)

    x = torch.ones(2, 3, 4, 4)
    sigma = torch.tensor([1.0, 1.0])
    out = ConsistencyParameterisation(0.002, 80.0, 0.5)(network, x, sigma,
                                                y=torch.tensor([1, 2]))
    c_skip, c_out, c_in = consistency_scalings(sigma[0], 0.5, 0.002)
    assert torch.allclose(out, c_skip + 2 * c_out)
    assert torch.allclose(calls['x_in'], c_in * x)
    assert calls['c_noise'].tolist() == [0.0, 0.0]
    assert calls['y'].tolist() == [1, 2]
    edm = EDMParameterisation(sigma_data=0.5)(network, x,
                                              torch.tensor([0.5, 0.5]))
    assert torch.allclose(edm, torch.full_like(x, 0.5 + 2 * 0.25 / 0.5**0.5))


def test_the_parameterisation_owns_the_range_and_its_grid():
    p = EDMParameterisation(sigma_min=0.01, sigma_max=10.0, rho=1.0)
    # rho = 1: a linear grid from 10 down to 0.01
    grid = p.karras_sigma(torch.arange(4.0), 4)
    torch.testing.assert_close(grid, torch.tensor([10.0, 6.67, 3.34, 0.01]))
    with pytest.raises(ValueError, match='sigma_min < sigma_max'):
        EDMParameterisation(sigma_min=1.0, sigma_max=1.0)


def test_diffusion_counterparts():
    consistency = ConsistencyParameterisation(0.01, 20.0, 0.7, 5.0)
    teacher = consistency.diffusion_counterpart()
    assert type(teacher) is EDMParameterisation
    assert (teacher.sigma_min, teacher.sigma_max, teacher.sigma_data,
            teacher.rho) == (0.01, 20.0, 0.7, 5.0)
    trig = TrigFlowParameterisation(time_scale=2.0)
    assert trig.diffusion_counterpart() is trig


def test_trig_network_scales_the_time_and_binds_labels():
    seen = {}

    def network(x, c_noise, y=None):
        seen.update(c_noise=c_noise, y=y)
        return x

    trig = TrigFlowParameterisation(time_scale=1000.0)
    trig.trig_network(network, torch.tensor([3]))(torch.ones(1, 1),
                                                   torch.tensor([0.5]))
    assert seen['c_noise'].item() == 500.0 and seen['y'].item() == 3
