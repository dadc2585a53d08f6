"""Power-function EMAs and post-hoc EMA reconstruction (EDM2, Section 3
and Appendix C), on scalar sequences whose averages are known by hand."""
import math

import numpy as np
import pytest
import torch

from mmcm.models.averaging import EMANetworks
from mmcm.models.posthoc_ema import (MAX_STD, PowerEMANetworks,
                                     combine_state_dicts, exponent_to_std,
                                     power_ema_beta, reconstruct,
                                     solve_posthoc_weights, std_to_exponent)
from mmcm.registry import MODELS


class Scalar(torch.nn.Module):
    """A network of one float64 parameter, the "weights" to average."""

    def __init__(self):
        super().__init__()
        self.p = torch.nn.Parameter(torch.zeros((), dtype=torch.float64))

    def set(self, value: float) -> 'Scalar':
        with torch.no_grad():
            self.p.fill_(value)
        return self


def averaged(stds, xs, snapshot_every=None):
    """Power EMAs of ``stds`` over the sequence ``xs`` (steps 1 ...),
    with the snapshots every ``snapshot_every`` steps."""
    source = Scalar()
    averages = PowerEMANetworks(source, stds)
    snapshots = []
    for step, x in enumerate(xs, 1):
        averages.update(source.set(x))
        if snapshot_every and step % snapshot_every == 0:
            snapshots += averages.snapshots()
    return averages, snapshots


def values(averages):
    return [float(network.p) for network in averages.networks]


def test_the_papers_exponents_and_stds():
    """EDM2 Section 3: sigma_rel 0.05 is gamma 16.97, 0.10 is 6.94."""
    assert std_to_exponent(0.05) == pytest.approx(16.97, abs=5e-3)
    assert std_to_exponent(0.10) == pytest.approx(6.94, abs=5e-3)
    assert exponent_to_std(16.97) == pytest.approx(0.05, abs=1e-4)
    assert exponent_to_std(6.94) == pytest.approx(0.10, abs=1e-4)


@pytest.mark.parametrize('std', [0.001, 0.01, 0.05, 0.075, 0.1, 0.2, 0.28])
def test_std_exponent_round_trip(std):
    gamma = std_to_exponent(std)
    assert gamma > 0
    assert exponent_to_std(gamma) == pytest.approx(std, rel=1e-10)
    assert std_to_exponent(exponent_to_std(gamma)) == pytest.approx(
        gamma, rel=1e-8)


def test_std_range():
    assert std_to_exponent(MAX_STD) == pytest.approx(0.0, abs=1e-9)
    for std in (0.0, -0.1, 0.29, float('nan')):
        with pytest.raises(ValueError, match='std must lie in'):
            std_to_exponent(std)


def test_beta_by_hand():
    assert power_ema_beta(1, 16.97) == 0.0  # step 1: a copy of the weights
    assert power_ema_beta(2, 1.0) == pytest.approx(1 / 4)
    assert power_ema_beta(3, 1.0) == pytest.approx(4 / 9)
    assert power_ema_beta(10, 0.0) == pytest.approx(0.9)  # 1/t: the mean


def test_exponent_one_by_hand():
    """gamma = 1: beta(2) = 1/4, beta(3) = 4/9, so after a, b, c the
    average is (a + 3 b + 5 c) / 9 (weights t^2 - (t - 1)^2)."""
    std = exponent_to_std(1.0)  # sqrt(1 / 18)
    assert std == pytest.approx(math.sqrt(1 / 18))
    a, b, c = 2.0, -7.0, 11.0
    averages, _ = averaged([std], [a, b, c])
    assert values(averages)[0] == pytest.approx((a + 3 * b + 5 * c) / 9,
                                                rel=1e-12)
    assert int(averages.step) == 3


@pytest.mark.parametrize('std', [0.05, 0.10])
def test_power_ema_is_the_closed_form_average(std):
    """After t updates the EMA is sum_tau w_tau x_tau, w_tau = (tau^(g+1)
    - (tau-1)^(g+1)) / t^(g+1): the profile (g + 1) tau^g / t^(g+1)
    integrated over each step, which is within 0.4 / t (total variation)
    of weights proportional to tau^g."""
    xs = np.random.default_rng(0).standard_normal(1000)
    gamma = std_to_exponent(std)
    averages, _ = averaged([std], xs)
    tau = np.arange(1, len(xs) + 1, dtype=np.float64)
    exact = (tau ** (gamma + 1) - (tau - 1) ** (gamma + 1)) / tau[-1] ** (
        gamma + 1)
    assert exact.sum() == pytest.approx(1.0, rel=1e-12)
    assert values(averages)[0] == pytest.approx(float(exact @ xs),
                                                rel=1e-9, abs=1e-12)
    proportional = tau ** gamma / np.sum(tau ** gamma)
    assert values(averages)[0] == pytest.approx(
        float(proportional @ xs), abs=1e-3 * np.abs(xs).max())


def test_step_is_saved_and_resumed():
    xs = np.random.default_rng(1).standard_normal(40)
    straight, _ = averaged([0.05, 0.1], xs)
    first, _ = averaged([0.05, 0.1], xs[:25])
    state = first.state_dict()
    assert int(state['step']) == 25 and 'networks.1.p' in state
    resumed = PowerEMANetworks(Scalar(), [0.05, 0.1])
    resumed.load_state_dict(state, strict=True)
    source = Scalar()
    for x in xs[25:]:
        resumed.update(source.set(x))
    assert int(resumed.step) == 40
    assert values(resumed) == values(straight)


def test_reset_restarts_the_average():
    averages, _ = averaged([0.1], [5.0, 6.0])
    averages.reset(Scalar().set(-1.0))
    assert int(averages.step) == 0 and values(averages) == [-1.0]
    averages.update(Scalar().set(3.0))  # step 1 replaces what was there
    assert values(averages) == [3.0]
    averages.update(Scalar().set(4.0), step=2)
    assert int(averages.step) == 2


def random_walk(steps, seed):
    return np.cumsum(np.random.default_rng(seed).standard_normal(steps))


@pytest.mark.parametrize('seed', range(5))
@pytest.mark.parametrize('target_step', [500, 1000])
def test_reconstruction_matches_a_tracked_ema(seed, target_step):
    """EMAs of std 0.05 and 0.10 over a random walk of unit steps, both
    snapshotted every 10 steps, rebuild std 0.075 at step 1,000 (and
    500) close to a power EMA of std 0.075 tracked directly.

    Over 50 seeds the largest error was 3.1e-5 at step 1,000 and 1.8e-4
    at step 500 (snapshots every 20 steps: 1.6e-4 and 1.2e-3), what
    remains of approximating the discrete EMAs by the continuous profiles
    of the paper's inner products, which matters less as t grows; 1e-3
    allows for it. The two stored EMAs differ by about 2 and their
    midpoint misses the tracked EMA by about 0.2 (medians).
    """
    xs = random_walk(1000, seed)
    _, snapshots = averaged([0.05, 0.10], xs[:target_step], 10)
    tracked, _ = averaged([0.075], xs[:target_step])
    rebuilt = float(reconstruct(snapshots, 0.075)['p'])
    assert rebuilt == pytest.approx(values(tracked)[0], abs=1e-3)


def test_reconstruction_at_an_earlier_snapshot_ignores_later_ones():
    """At step 300 of 600 (largest error over 50 seeds: 6.9e-4)."""
    xs = random_walk(600, 7)
    _, snapshots = averaged([0.05, 0.10], xs, 10)
    tracked, _ = averaged([0.075], xs[:300])
    rebuilt = float(reconstruct(snapshots, 0.075, target_step=300)['p'])
    assert rebuilt == pytest.approx(values(tracked)[0], abs=2e-3)


def test_a_stored_std_at_a_stored_step_is_that_snapshot():
    xs = random_walk(200, 3)
    stored, snapshots = averaged([0.05, 0.10], xs, 20)
    steps = [s[0] for s in snapshots]
    gammas = [s[1] for s in snapshots]
    for index, std in enumerate((0.05, 0.10)):
        weights = solve_posthoc_weights(steps, gammas, 200,
                                        std_to_exponent(std))
        expected = np.zeros(len(snapshots))
        expected[len(snapshots) - 2 + index] = 1.0
        np.testing.assert_allclose(weights, expected, atol=1e-9)
        rebuilt = float(reconstruct(snapshots, std)['p'])
        assert rebuilt == pytest.approx(values(stored)[index], rel=1e-9)


def test_reconstruct_refuses_what_it_cannot_rebuild():
    _, snapshots = averaged([0.05, 0.10], random_walk(40, 0), 20)
    with pytest.raises(ValueError, match='no snapshot step'):
        reconstruct(snapshots, 0.075, target_step=30)
    with pytest.raises(ValueError, match='needs snapshots'):
        reconstruct([], 0.075)


def test_combine_keeps_dtypes_and_takes_integers_from_the_last():
    states = [dict(w=torch.full((2, ), 1.0, dtype=torch.float16),
                   n=torch.tensor(3)),
              dict(w=torch.full((2, ), 3.0, dtype=torch.float16),
                   n=torch.tensor(4))]
    combined = combine_state_dicts([0.25, 0.75], states)
    assert combined['w'].dtype == torch.float16
    assert combined['w'].tolist() == [2.5, 2.5]
    assert int(combined['n']) == 4
    assert states[0]['w'].tolist() == [1.0, 1.0]  # inputs left as they were


NETWORK = dict(type='ADMUNet', image_size=8, in_channels=1, out_channels=1,
               model_channels=32, num_res_blocks=1, attention_resolutions=(),
               channel_mult=(1, ), num_head_channels=32)


def build(**averages):
    return MODELS.build(dict(
        type='ConsistencyModel', network=NETWORK,
        parameterisation=dict(type='EDMParameterisation'),
        training=dict(objective=dict(type='EDMObjective'),
                      averages=averages)))


def test_training_block_option():
    model = build(posthoc_stds=(0.05, 0.1))
    assert isinstance(model.ema, PowerEMANetworks)
    assert model.ema.stds == (0.05, 0.1)
    assert model.sampling_network() is model.ema.networks[-1]
    assert 'ema.step' in model.state_dict()
    assert any(k.startswith('ema.networks.1.') for k in model.state_dict())
    model.update_averages(0)
    model.update_averages(1)
    assert int(model.ema.step) == 2
    online = build(posthoc_stds=(0.05, ), sample_with='online')
    assert online.sampling_network() is online.unet
    plain = build()
    assert isinstance(plain.ema, EMANetworks) and len(plain.ema) == 3
    with pytest.raises(ValueError, match='not both'):
        build(ema_decays=(0.99, ), posthoc_stds=(0.05, ))
    with pytest.raises(ValueError, match='at least one'):
        build(posthoc_stds=())
