"""sCM (sCT and sCD) against FastGen's implementation, number for number.

``tests/data/parity/scm_fastgen.json`` holds what NVlabs/FastGen's
``SCMModel._compute_scm_loss`` (``fastgen/methods/consistency_model/
sCM.py``, see ``tests/data/parity/README.md``) computes on a tiny float64
TrigFlow network ``F(x / sigma_d, t)`` with a tiny log-variance head
``u(t)``: its random draws (the noise level and the noise), the per-sample
losses, the losses without the weightings and the gradient of their mean
for every parameter of the network and of the head. Cases: sCT and sCD
(a second tiny network as the teacher), tangent warm-up ``r`` of 0.5 and 1,
and three loss options of FastGen's:

* ``l2``: ``g / (||g|| + c)``, no prior weighting, ``||.||^2 / D``: mmcm's
  ``SCMObjective(prior_weighting=False)``;
* ``l2_prior``: the same with the prior weighting ``1 / (sigma_d tan t)``:
  ``SCMObjective(prior_weighting=True)``;
* ``fastgen_default``: FastGen's defaults, the RMS normalisation
  ``g / (||g|| / sqrt(D) + c)`` and the loss divided by ``D`` once more
  (``||.||^2 / D^2``), with the prior weighting. mmcm has neither option:
  here its ``normalize_tangent`` is wrapped (``sqrt(D)`` times its result
  with ``c sqrt(D)``, the same function) and its log-variance shifted by
  ``log D`` (``e^{-u - log D} m + u + log D``), which changes the loss by
  the constant ``log D`` and no gradient.

mmcm replays FastGen's draws: ``sample_trigflow_time`` returns the recorded
``t = atan(sigma / sigma_d)`` and ``torch.randn_like`` the recorded noise.
"""
import math

import pytest
import torch
from torch import nn

from mmcm.models.objectives import SCMObjective
from mmcm.models.objectives import scm as scm_module
from mmcm.models.parameterisations import TrigFlowParameterisation
from mmcm.utils.functional import trigflow_time

from .parity import as_tensor, load_fixture, run_objective

TOL = dict(rtol=1e-10, atol=1e-10)


def fixture() -> dict:
    """The recorded FastGen run."""
    return load_fixture('scm_fastgen.json')


class TinyTrigNet(nn.Module):
    """``F(x_scaled, t)``: conv3x3, plus features of ``t``, SiLU scaled by
    ``1 + sin(t) / 2``, conv3x3, plus ``0.3 x_scaled``."""

    def __init__(self, channels=2, hidden=4):
        super().__init__()
        self.conv_in = nn.Conv2d(channels, hidden, 3, padding=1)
        self.time = nn.Linear(3, hidden)
        self.conv_out = nn.Conv2d(hidden, channels, 3, padding=1)

    def forward(self, x, t):
        feats = torch.stack([t, torch.cos(3 * t), torch.sin(3 * t)], 1)
        h = self.conv_in(x) + self.time(feats)[:, :, None, None]
        h = nn.functional.silu(h) * (1 + 0.5 * torch.sin(t))[:, None, None,
                                                                None]
        return self.conv_out(h) + 0.3 * x


class TinyLogVar(nn.Module):
    """``u(t)``: one linear layer on ``[cos(k t), sin(k t)]``, k = 1, 2."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(4, 1)

    def forward(self, t):
        angle = t[:, None] * torch.tensor([1., 2.], dtype=t.dtype)
        return self.linear(torch.cat([angle.cos(), angle.sin()], 1))[:, 0]


def load(module: nn.Module, name: str) -> nn.Module:
    """The recorded float64 weights."""
    module = module.double()
    recorded = fixture()['params'][name]
    module.load_state_dict({
        key: as_tensor(recorded[key], value.shape)
        for key, value in module.state_dict().items()})
    return module


def case_of(name: str) -> dict:
    return next(c for c in fixture()['cases'] if c['name'] == name)


CASES = [c['name'] for c in fixture()['cases']]


def run_mmcm(case: dict, monkeypatch, prior: bool, weighted: bool = True):
    """mmcm's per-sample loss on the recorded draws, and the modules."""
    data = fixture()
    shape = data['shape']
    student = load(TinyTrigNet(), 'student')
    head = load(TinyLogVar(), 'logvar')
    teacher = (load(TinyTrigNet(), 'teacher') if case['method'] == 'scd'
               else None)
    t = as_tensor(case['t'])
    draws = [as_tensor(case['noise'], shape)]

    def replay_noise(x, *args, **kwargs):
        assert tuple(x.shape) == tuple(shape)
        return draws.pop()

    monkeypatch.setattr(scm_module, 'sample_trigflow_time',
                        lambda *args, **kwargs: t.clone())
    monkeypatch.setattr(torch, 'randn_like', replay_noise)
    dims = math.prod(shape[1:])
    log_variance, shift = head, 0.0
    if case['g_norm_spatial_invariance']:
        normalize = scm_module.normalize_tangent

        def rms_normalize(g, c=0.1):
            """``g / (rms(g) + c)`` through mmcm's ``g / (||g|| + c)``."""
            return math.sqrt(dims) * normalize(g, c * math.sqrt(dims))

        monkeypatch.setattr(scm_module, 'normalize_tangent', rms_normalize)
    if case['divide_x_0_spatial_dim']:
        shift = math.log(dims)

        def log_variance(tt):
            return head(tt) + shift

    objective = SCMObjective(
        p_mean=data['p_mean'], p_std=data['p_std'],
        warmup_steps=data['tangent_warmup_steps'],
        tangent_norm_c=data['tangent_warmup_const'], prior_weighting=prior)
    assert objective.warmup(case['iteration']) == case['r']
    # sCM's identity time transformation: the networks see t itself.
    parameterisation = TrigFlowParameterisation(
        sigma_data=data['sigma_data'], time_scale=1.0)
    x0 = as_tensor(data['x0'], shape)
    loss, logs = run_objective(
        objective, parameterisation, x0, student, teacher=teacher,
        log_variance=log_variance if weighted else None,
        iteration=case['iteration'])
    assert logs == dict(tangent_warmup=case['r'])
    assert not draws, 'the recorded noise was not drawn'
    monkeypatch.undo()
    return loss - (shift if weighted else 0.0), student, head


@pytest.mark.parametrize('name', CASES)
def test_loss_and_gradients_match_fastgen(name, monkeypatch):
    case = case_of(name)
    loss, student, head = run_mmcm(case, monkeypatch,
                                   case['prior_weighting_enabled'])
    torch.testing.assert_close(loss.detach(), as_tensor(case['loss']),
                               **TOL)
    loss.mean().backward()
    for module, key in ((student, 'student'), (head, 'logvar')):
        for param_name, param in module.named_parameters():
            torch.testing.assert_close(
                param.grad.reshape(-1),
                as_tensor(case['grads'][key][param_name]), **TOL,
                msg=lambda m, k=key, p=param_name: f'{k}.{p}: {m}')


@pytest.mark.parametrize('name', [n for n in CASES if n.endswith('_l2')])
def test_unweighted_loss_matches_fastgen(name, monkeypatch):
    """Without the prior and adaptive weightings: ``||.||^2 / D``."""
    case = case_of(name)
    loss, _, _ = run_mmcm(case, monkeypatch, prior=False, weighted=False)
    torch.testing.assert_close(loss.detach(), as_tensor(case['unweighted']),
                               **TOL)


def test_time_of_the_recorded_noise_levels():
    """FastGen's ``atan2(sigma, sigma_d)`` is mmcm's ``trigflow_time``; its
    lognormal is truncated to ``sigma`` in [0.002, 80], mmcm's is not."""
    data = fixture()
    for case in data['cases']:
        sigma = as_tensor(case['sigma'])
        assert 0.002 <= sigma.min() and sigma.max() <= 80
        torch.testing.assert_close(trigflow_time(sigma, data['sigma_data']),
                                   as_tensor(case['t']), rtol=1e-15,
                                   atol=1e-15)
