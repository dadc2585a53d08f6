"""ECT against its reference implementation, number for number.

``tests/data/parity/ect_main.json`` and ``ect_imgnet.json`` hold what the
reference loss (locuslab/ect ``training/loss.py``, branch ``main`` for
CIFAR-10 and ``imgnet`` for ImageNet-64, see ``tests/data/parity/README.md``)
computes on a tiny float64 EDM denoiser at three stages each: its random
draws, the per-sample losses and the gradient of their mean for every
parameter.
Here the shipped CIFAR-10 and ImageNet-64 ECT recipes build
:class:`~mmcm.models.objectives.ECTObjective` and the stage curriculum, and
replay the same draws through the same network and the recipes' EDM
parameterisation.
"""
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from mmengine import Config
from torch import nn

from mmcm.models.objectives import ect_lower_time
from mmcm.registry import CURRICULA, MODELS

from ..conftest import REPO
from .parity import as_tensor, load_fixture, run_objective

TRAIN = Path(REPO) / 'configs' / 'consistency_models' / 'train'
RECIPES = {
    'ect_main.json': 'ect_adm-unet_8xb16-200k_cifar10-32x32.py',
    'ect_imgnet.json': 'ect_adm-unet_8xb16-100k_imagenet-64x64.py',
}
# The reference's weighting of each branch: main divides by t - r; imgnet
# has wt='snrpk', (t^2 + sigma_data^2) / (t sigma_data)^2.
WEIGHTINGS = {'ect_main.json': 'inverse-gap', 'ect_imgnet.json': 'karras'}
CASES = [(name, index) for name in RECIPES for index in range(3)]
RTOL = 1e-10


class TinyNetwork(nn.Module):
    """The reference's ``F(c_in x, log(sigma) / 4)``, wrapped by the EDM
    parameterisation as ``D(x, sigma) = c_skip x + c_out F``: conv3x3, plus
    a noise embedding, SiLU, dropout, conv3x3. mmcm feeds ``c_noise = 1000
    log(sigma) / 4``, hence the division. The dropout masks (in training
    mode) come from ``torch.rand`` on the global CPU generator, so a
    replayed RNG state replays them (the reference shares the masks of its
    two evaluations that way)."""

    def __init__(self, network: dict):
        super().__init__()
        for name, spec in network['parameters'].items():
            self.register_parameter(
                name, nn.Parameter(as_tensor(spec['values'], spec['shape'])))
        self.dropout = network['dropout']

    def forward(self, x_in: torch.Tensor,
                c_noise: torch.Tensor) -> torch.Tensor:
        c = (c_noise / 1000).reshape(-1, 1, 1, 1)
        h = F.conv2d(x_in, self.conv1_weight, self.conv1_bias, padding=1)
        h = h + (c * self.emb_weight.reshape(1, -1, 1, 1) +
                 self.emb_bias.reshape(1, -1, 1, 1))
        h = F.silu(h)
        if self.training:
            keep = torch.rand(h.shape, dtype=h.dtype) >= self.dropout
            h = h * keep / (1 - self.dropout)
        return F.conv2d(h, self.conv2_weight, self.conv2_bias, padding=1)


def recipe(name: str):
    """``(objective, curriculum, parameterisation)`` as the shipped recipe
    builds them."""
    model = Config.fromfile(str(TRAIN / RECIPES[name])).model
    training = model.training
    return (MODELS.build(training.objective),
            CURRICULA.build(training.curriculum),
            MODELS.build(model.parameterisation))


def replay_draws(case: dict, x0: torch.Tensor) -> torch.Tensor:
    """Draw ``t``'s normal and the noise as the reference does from its
    seed, check them against the record and return the noise; the global
    generator then stands where the reference's stood before its first
    network call (its dropout masks follow)."""
    torch.manual_seed(case['seed'])
    rnd_normal = torch.randn([x0.shape[0], 1, 1, 1], dtype=torch.float64)
    noise = torch.randn_like(x0)
    assert torch.equal(rnd_normal.flatten(), as_tensor(case['rnd_normal']))
    assert torch.equal(noise.flatten(), as_tensor(case['noise']))
    return noise


def relative_error(actual: torch.Tensor, expected: torch.Tensor) -> float:
    """Largest deviation relative to the largest expected magnitude."""
    error = (actual.detach() - expected).abs().max()
    return float(error / expected.abs().max())


def stage_iterations(record: dict) -> int:
    """Iterations per stage of the reference run (``--double`` ticks)."""
    schedule = record['schedule']
    return round(schedule['double_ticks'] * schedule['kimg_per_tick'] *
                 1000 / schedule['batch'])


@pytest.mark.parametrize('name', sorted(RECIPES))
def test_recipe_has_the_reference_settings(name):
    record = load_fixture(name)
    reference = record['loss_kwargs']
    objective, curriculum, parameterisation = recipe(name)
    assert type(parameterisation).__name__ == 'EDMParameterisation'
    assert (objective.p_mean, objective.p_std) == (reference['P_mean'],
                                                   reference['P_std'])
    assert (objective.k, objective.b) == (reference['k'], reference['b'])
    assert parameterisation.sigma_data == reference['sigma_data']
    assert type(objective.distance).__name__ == 'PseudoHuberDistance'
    assert objective.distance.c == reference['c']  # not scaled by size
    assert objective.weighting == WEIGHTINGS[name]
    assert curriculum.scales.q == reference['q']
    assert curriculum.scales.stage_iters == stage_iterations(record)
    assert curriculum.target_ema.decay == 0.0  # the online network


@pytest.mark.parametrize('name, index', CASES)
def test_stage_schedule_matches_the_reference(name, index):
    """``num_scales = q^(stage + 1)`` over each reference stage. The
    reference's tick 0 is a single iteration, so its stages start one
    iteration after ``stage * stage_iters``; here the new stage starts at
    ``stage * stage_iters``, one iteration earlier."""
    record = load_fixture(name)
    case = record['cases'][index]
    _, curriculum, _ = recipe(name)
    q, stage = record['loss_kwargs']['q'], case['stage']
    for iteration in (case['first_iteration'], case['last_iteration'] - 1):
        assert curriculum(iteration) == (0.0, q**(stage + 1))
    first = 0 if stage == 0 else stage * stage_iterations(record) + 1
    assert case['first_iteration'] == first


@pytest.mark.parametrize('name, index', CASES)
def test_losses_and_gradients_match_the_reference(name, index):
    record = load_fixture(name)
    case = record['cases'][index]
    objective, curriculum, parameterisation = recipe(name)
    assert parameterisation.sigma_data == record['network']['sigma_data']
    _, num_scales = curriculum(case['first_iteration'])
    net = TinyNetwork(record['network']).train()
    x0 = as_tensor(record['x0']['values'], record['x0']['shape'])
    t = as_tensor(case['t'])
    torch.testing.assert_close(
        (as_tensor(case['rnd_normal']) * objective.p_std +
         objective.p_mean).exp(), t, rtol=0, atol=0)
    torch.testing.assert_close(
        ect_lower_time(t, num_scales, objective.k, objective.b),
        as_tensor(case['r']), rtol=RTOL, atol=0)
    with torch.random.fork_rng():
        noise = replay_draws(case, x0)
        loss, _ = run_objective(objective, parameterisation, x0, net,
                                target=net, num_scales=num_scales,
                                noise=noise, t=t)
    loss.mean().backward()
    assert loss.dtype == torch.float64
    assert relative_error(loss, as_tensor(case['loss'])) < RTOL
    for param_name, grad in case['grads'].items():
        actual = getattr(net, param_name).grad.flatten()
        assert relative_error(actual, as_tensor(grad)) < RTOL, param_name
