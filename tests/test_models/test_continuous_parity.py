"""Continuous-time CD/CT against OpenAI's code, number for number.

``tests/data/parity/continuous_jcm.json`` holds what
``get_continuous_consistency_loss_fn`` of ``jcm/losses.py``
(openai/consistency_models_cifar10, see ``tests/data/parity/README.md``)
computes in float64 on a tiny network wrapped in jcm's consistency
parameterisation (the student) and EDM denoiser (the CD teacher): its random
draws, the per-sample losses and the gradient of their mean for every
parameter, for CT (``dsm_target=True``) and CD, with ``loss_norm='l2'`` and
``stopgrad`` off and on. Here the same network goes through mmcm's
consistency parameterisation (the student), its diffusion counterpart (the
teacher) and :class:`ContinuousConsistencyObjective`.
"""

import pytest
import torch
from torch import nn

from mmcm.models.objectives import ContinuousConsistencyObjective
from mmcm.models.parameterisations import (ConsistencyParameterisation,
                                           EDMParameterisation)
from mmcm.models.sampling import karras_sigma

from .parity import as_tensor, load_fixture, run_objective

RTOL, ATOL = 1e-10, 1e-13


def fixture() -> dict:
    return load_fixture('continuous_jcm.json')


def parameters(recorded: dict) -> dict:
    """Recorded parameters (or gradients) with their shapes."""
    shapes = fixture()['param_shapes']
    return {name: as_tensor(values, shapes[name])
            for name, values in recorded.items()}


class TinyNetwork(nn.Module):
    """``F(x_in, c) = tanh(x W1 + c a + b1) W2 + x d + b2`` on the flattened
    sample, with jcm's noise input ``c = log(sigma) / 4``: mmcm feeds
    ``c_noise = 1000 log(sigma) / 4``, hence the division."""

    def __init__(self, params: dict):
        super().__init__()
        for name, value in parameters(params).items():
            self.register_parameter(name, nn.Parameter(value))

    def forward(self, x, c_noise):
        flat, c = x.flatten(1), c_noise / 1000
        hidden = torch.tanh(flat @ self.w1 + c[:, None] * self.a + self.b1)
        return (hidden @ self.w2 + flat * self.d + self.b2).reshape(x.shape)


def run_mmcm(kind: str, variant: str):
    """mmcm's per-sample losses and the gradients of their mean."""
    fx = fixture()
    sde = fx['sde']
    t_min, t_max, rho = sde['t_min'], sde['t_max'], sde['rho']
    student = TinyNetwork(fx['student'])
    teacher = TinyNetwork(fx['teacher']).requires_grad_(False)
    consistency = ConsistencyParameterisation(t_min, t_max, sde['data_std'],
                                              rho)
    # The teacher runs through the EDM scalings over the same range.
    assert isinstance(consistency.diffusion_counterpart(),
                      EDMParameterisation)
    # jcm draws v ~ U(t_min^(1/rho), t_max^(1/rho)), t = v^rho; mmcm's u
    # runs the same map from sigma_max (u = 0) to sigma_min (u = 1).
    v = as_tensor(fx['v'])
    top, bottom = t_max**(1 / rho), t_min**(1 / rho)
    u = (top - v) / (top - bottom)
    torch.testing.assert_close(karras_sigma(u, 2, t_min, t_max, rho),
                               as_tensor(fx['t']), rtol=1e-13, atol=0)
    objective = ContinuousConsistencyObjective(variant=variant)
    # The target is the online network (jcm has none: mu = 0 here).
    per_sample, _ = run_objective(
        objective, consistency, as_tensor(fx['x'], fx['shape']), student,
        target=student, teacher=None if kind == 'ct' else teacher,
        noise=as_tensor(fx['z'], fx['shape']), u=u)
    names = [name for name, _ in student.named_parameters()]
    grads = torch.autograd.grad(per_sample.mean(), list(student.parameters()))
    return per_sample.detach(), dict(zip(names, grads))


@pytest.mark.parametrize('kind', ['ct', 'cd'])
def test_l2_through_jvp_is_jcm_without_stopgrad(kind):
    """``stopgrad=False, loss_norm='l2'``: the same losses and gradients."""
    case = fixture()['cases'][f'{kind}_l2']
    per_sample, grads = run_mmcm(kind, 'l2-through-jvp')
    torch.testing.assert_close(per_sample, as_tensor(case['per_sample']),
                               rtol=RTOL, atol=ATOL)
    expected = parameters(case['grads'])
    for name, grad in grads.items():
        torch.testing.assert_close(grad, expected[name], rtol=RTOL,
                                   atol=ATOL, msg=name)


@pytest.mark.parametrize('kind', ['ct', 'cd'])
def test_stopgrad_l2sq_is_jcm_stopgrad_rescaled(kind):
    """``stopgrad=True, loss_norm='l2'``: jcm differentiates
    ``sum(stopgrad(df/dt) f)``, mmcm the mean squared residual; the
    gradients differ by the factor ``2 / D`` and mmcm's value is the square
    of jcm's l2 norm over ``D``."""
    fx = fixture()
    dim = torch.Size(fx['shape'][1:]).numel()
    norms = as_tensor(fx['cases'][f'{kind}_l2']['per_sample'])
    case = fx['cases'][f'{kind}_stopgrad_l2']
    per_sample, grads = run_mmcm(kind, 'stopgrad-l2sq')
    torch.testing.assert_close(per_sample, norms**2 / dim, rtol=RTOL,
                               atol=ATOL)
    expected = parameters(case['grads'])
    for name, grad in grads.items():
        torch.testing.assert_close(grad, expected[name] * 2 / dim,
                                   rtol=RTOL, atol=ATOL, msg=name)
