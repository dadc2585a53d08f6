"""MeanFlow's loss and gradients against the authors' code.

``tests/data/parity/meanflow.json`` holds what ``MeanFlow.forward_with_loss``
of Gsunshine/py-meanflow computes on a tiny network in float64 (see the
fixture README): the draws, the batch-mean loss and the gradient of every
parameter, for the official default time sampler ('v1'), the paper's ('v0')
with the CIFAR-10 script's settings, and a third setting with ``p = 1``.
Here the same network runs through :class:`MeanFlowParameterisation`
(``time_scale = 1``: the reference's network reads ``(t, t - r)`` as they
are) and :class:`MeanFlowObjective`, from the same seed: the same draws,
dropout mask, loss and gradients.
"""
import pytest
import torch
from torch import nn

from mmcm.models.objectives import MeanFlowObjective
from mmcm.models.parameterisations import MeanFlowParameterisation

from .parity import as_tensor, load_fixture, run_objective

FIXTURE = 'meanflow.json'
CASES = [case['name'] for case in load_fixture(FIXTURE)['cases']]


class TinyMeanFlowNet(nn.Module):
    """The fixture's network: ``conv2(dropout(silu(conv1(z) + embed(t,
    h))))`` with dropout 0.2, reading the noise inputs ``(N, 2)``."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, padding=1)
        self.embed = nn.Linear(2, 4)
        self.conv2 = nn.Conv2d(4, 3, 3, padding=1)

    def forward(self, z, time_inputs):
        emb = self.embed(time_inputs)[:, :, None, None]
        hidden = nn.functional.silu(self.conv1(z) + emb)
        return self.conv2(nn.functional.dropout(hidden, 0.2))


def recorded_network(fixture) -> TinyMeanFlowNet:
    network = TinyMeanFlowNet().double()
    network.load_state_dict({k: as_tensor(v['values'], v['shape'])
                             for k, v in fixture['params'].items()})
    return network


def objective_of(case) -> MeanFlowObjective:
    return MeanFlowObjective(
        time_sampler=case['tr_sampler'], p_mean_t=case['P_mean_t'],
        p_std_t=case['P_std_t'], p_mean_r=case['P_mean_r'],
        p_std_r=case['P_std_r'], ratio=case['ratio'],
        norm_p=case['norm_p'], norm_eps=case['norm_eps'])


@pytest.fixture
def float64_default():
    """The reference ran with float64 as the default dtype: its normals
    and uniforms are float64 draws."""
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(torch.float32)


@pytest.mark.parametrize('name', CASES)
def test_meanflow_loss_and_gradients_match_the_authors(name,
                                                        float64_default):
    fixture = load_fixture(FIXTURE)
    case = next(c for c in fixture['cases'] if c['name'] == name)
    x = as_tensor(fixture['x']['values'], fixture['x']['shape'])
    objective = objective_of(case)
    torch.manual_seed(case['seed'])  # the draws, as the reference's
    noise = torch.randn_like(x)
    t, r = objective.time_pair(x.shape[0], 'cpu')
    torch.testing.assert_close(noise, as_tensor(case['noise']['values'],
                                                case['noise']['shape']))
    torch.testing.assert_close(t, as_tensor(case['t']), rtol=0, atol=0)
    torch.testing.assert_close(r, as_tensor(case['r']), rtol=0, atol=0)
    network = recorded_network(fixture)
    torch.manual_seed(case['seed'])
    per_sample, logs = run_objective(
        objective, MeanFlowParameterisation(time_scale=1.0), x, network)
    loss = per_sample.mean()
    assert loss.item() == pytest.approx(case['loss'], rel=1e-12)
    assert logs['flow_matching_fraction'] == pytest.approx(
        float((t == r).double().mean()))
    loss.backward()
    for key, parameter in network.named_parameters():
        expected = case['grads'][key]
        torch.testing.assert_close(
            parameter.grad, as_tensor(expected['values'], expected['shape']),
            rtol=1e-10, atol=1e-12)
