"""Improved CT (Song & Dhariwal 2023) formulas against hand computations."""
import math

import pytest
import torch
from mmengine import Config

from mmcm.models.losses import PseudoHuberDistance, build_distance
from mmcm.models.losses.weightings import get_weighting
from mmcm.models.objectives import (IndexSampler,
                                    lognormal_index_probabilities)
from mmcm.models.curricula import ExponentialScales
from mmcm.registry import MODELS

from ..conftest import REPO
from .fixed_batch import train_on_batch, uint8_batch

ICT_DIGITS = (f'{REPO}/configs/consistency_models/train/'
              'cm-ict_adm-unet_1xb32-1k_digits-16x16.py')


def test_pseudo_huber_by_hand():
    x = torch.zeros(2, 1, 1, 2)
    y = torch.tensor([[3.0, 4.0], [0.0, 0.0]]).reshape(2, 1, 1, 2)
    # |x - y| = 5 and 0: sqrt(25 + 1) - 1 and sqrt(0 + 1) - 1 = 0.
    got = PseudoHuberDistance(c=1.0)(x, y)
    torch.testing.assert_close(got, torch.tensor([math.sqrt(26) - 1, 0.0]))


def test_pseudo_huber_default_constant():
    distance = build_distance('pseudo-huber')
    # 32x32 RGB: c = 0.00054 sqrt(3072) = 0.02993 (the paper's c = 0.03).
    assert distance.constant(torch.zeros(1, 3, 32, 32)) == pytest.approx(
        0.0299298, abs=1e-6)
    x, y = torch.zeros(1, 3, 16, 16), torch.full((1, 3, 16, 16), 0.01)
    c = 0.00054 * math.sqrt(768)
    expected = math.sqrt(768 * 1e-4 + c**2) - c
    assert distance(x, y).item() == pytest.approx(expected, rel=1e-5)


def test_inverse_gap_weighting():
    got = get_weighting('inverse-gap', torch.tensor([2.0, 80.0]),
                        lower_sigma=torch.tensor([1.5, 60.0]))
    torch.testing.assert_close(got, torch.tensor([2.0, 0.05]))
    with pytest.raises(ValueError, match='needs lower_sigma'):
        get_weighting('inverse-gap', torch.tensor([2.0]))


def karras(i, n, smin=0.002, smax=80.0, rho=7.0):
    return (smax**(1 / rho) + i / (n - 1) *
            (smin**(1 / rho) - smax**(1 / rho)))**rho


def test_lognormal_index_probabilities_by_hand():
    n = 4
    levels = [karras(i, n) for i in range(n)]  # 80, ..., 0.002

    def cdf_term(sigma):
        return math.erf((math.log(sigma) + 1.1) / (math.sqrt(2) * 2.0))

    mass = [cdf_term(levels[i]) - cdf_term(levels[i + 1])
            for i in range(n - 1)]
    expected = torch.tensor([m / sum(mass) for m in mass],
                            dtype=torch.float64)
    got = lognormal_index_probabilities(n, 0.002, 80.0)
    torch.testing.assert_close(got, expected)
    # Levels 80, 9.72, 0.470, 0.002: the pair (0.470, 0.002) holds the
    # lognormal mode exp(-1.1) = 0.33 and most of the mass.
    assert got.argmax() == 2


def test_lognormal_sampler_frequencies():
    torch.manual_seed(0)
    sampler = IndexSampler('lognormal')
    draws = sampler(50000, 11, 0.002, 80.0, 7.0, 'cpu')
    freq = torch.bincount(draws, minlength=10).double() / 50000
    expected = lognormal_index_probabilities(11, 0.002, 80.0)
    assert (freq - expected).abs().max() < 0.01
    uniform = IndexSampler('uniform')(50000, 11, 0.002, 80.0, 7.0, 'cpu')
    assert uniform.min() == 0 and uniform.max() == 9
    with pytest.raises(ValueError, match='index sampling'):
        IndexSampler('beta')


def test_exponential_scales_by_hand():
    # s0 = 10, s1 = 1280, K = 400000: log2(128) + 1 = 8 stages, K' = 50000.
    scales = ExponentialScales(10, 1280, 400000)
    assert scales.steps_per_doubling == 50000
    got = [scales(k) for k in (0, 49999, 50000, 100000, 349999, 350000,
                               400000, 10**7)]
    assert got == [11, 11, 21, 41, 641, 1281, 1281, 1281]
    with pytest.raises(ValueError, match='start_scales <= end_scales'):
        ExponentialScales(20, 10, 100)


def test_exponential_scales_reach_a_ratio_that_is_not_a_power_of_two():
    # s0 = 10, s1 = 150: log2(15) + 1 = 4.907, K' = floor(100 / 4.907) = 20;
    # 10 2^4 = 160 is capped at 150 from k = 80 (a floored log2 gave K' = 25
    # and N = 81 at k = 99).
    scales = ExponentialScales(10, 150, 100)
    assert scales.steps_per_doubling == 20
    got = [scales(k) for k in (0, 19, 20, 40, 60, 79, 80, 99)]
    assert got == [11, 11, 21, 41, 81, 81, 151, 151]


def test_ict_digits_config_trains_a_few_steps():
    cfg = Config.fromfile(ICT_DIGITS)
    cfg.model.network.update(num_res_blocks=1, channel_mult=(1, 2))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).train()
    objective, curriculum = (model.training_block.objective,
                             model.training_block.curriculum)
    assert type(objective.distance).__name__ == 'PseudoHuberDistance'
    assert objective.weighting == 'inverse-gap'
    assert objective.index_sampler.kind == 'lognormal'
    assert curriculum(0) == (0.0, 11)
    assert curriculum(999) == (0.0, 81)
    losses = train_on_batch(model, uint8_batch((8, 1, 16, 16), 10), 12,
                            noise_seed=7)
    assert all(math.isfinite(v) for v in losses)
    assert losses[-1] < 0.8 * losses[0], losses
    # mu = 0: the target equals the online network after every update.
    for target, online in zip(model.target_unet.parameters(),
                              model.unet.parameters()):
        assert torch.equal(target, online)
