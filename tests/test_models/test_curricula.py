"""Curricula against hand-computed values of Song et al. (2023), App. C.

For CT (adaptive mu, progressive N) the official code computes
``n = max(ceil(sqrt(k / K ((s1 + 1)^2 - s0^2) + s0^2) - 1), 1)``, returns
``N = n + 1`` and ``mu = exp(s0 log mu0 / n) = mu0^(s0 / n)``.
"""
import math

import pytest

from mmcm.models.curricula import (AdaptiveTargetEMA, ConsistencyCurriculum,
                                    FixedScales, FixedTargetEMA,
                                    ProgressiveScales)
from mmcm.registry import CURRICULA

CD = dict(scales=dict(type='FixedScales', scales=40),
          target_ema=dict(type='FixedTargetEMA', decay=0.95))


def ct(end_scales, total_steps):
    return dict(
        scales=dict(type='ProgressiveScales', start_scales=2,
                    end_scales=end_scales, total_steps=total_steps),
        target_ema=dict(type='AdaptiveTargetEMA', start_ema=0.95))


def build(cfg):
    return CURRICULA.build(dict(type='ConsistencyCurriculum', **cfg))


@pytest.mark.parametrize('step', [0, 1, 300000, 600000, 10**7])
def test_cd_is_constant(step):
    decay, num_scales = build(CD)(step)
    assert (decay, num_scales) == (0.95, 40)
    assert type(decay) is float and type(num_scales) is int


# ImageNet-64: (s1 + 1)^2 - s0^2 = 40397.
#   k = 1:      sqrt(4.0504...) = 2.013 -> n = 2
#   k = K / 2:  sqrt(20202.5) = 142.14 -> n = 142
#   k = K:      sqrt(40401) = 201 exactly -> n = 200
# LSUN: (s1 + 1)^2 - s0^2 = 22797.
#   k = 1:      sqrt(4.0228) = 2.006 -> n = 2
#   k = K / 2:  sqrt(11402.5) = 106.78 -> n = 106
#   k = K:      sqrt(22801) = 151 exactly -> n = 150
# k = 0 gives sqrt(4) - 1 = 1 -> n = 1, N = 2, mu = 0.95^2 = 0.9025.
@pytest.mark.parametrize('end_scales, total_steps, step, n', [
    (200, 800000, 0, 1), (200, 800000, 1, 2), (200, 800000, 400000, 142),
    (200, 800000, 800000, 200), (150, 1000000, 0, 1), (150, 1000000, 1, 2),
    (150, 1000000, 500000, 106), (150, 1000000, 1000000, 150)
])
def test_ct_hand_values(end_scales, total_steps, step, n):
    decay, num_scales = build(ct(end_scales, total_steps))(step)
    assert num_scales == n + 1
    assert decay == pytest.approx(0.95**(2 / n), rel=1e-12)


def test_ct_literal_values():
    curriculum = build(ct(200, 800000))
    assert curriculum(0) == (pytest.approx(0.9025, rel=1e-12), 2)
    assert curriculum(1) == (pytest.approx(0.95, rel=1e-12), 3)
    # exp(2 ln 0.95 / 142) and exp(2 ln 0.95 / 200)
    assert curriculum(400000)[0] == pytest.approx(0.99927782013, abs=1e-11)
    assert curriculum(800000)[0] == pytest.approx(0.99948719858, abs=1e-11)


def test_progressive_scales_match_paper_formula_everywhere():
    """The paper's N(k) (written with math) at many iterations."""
    for end_scales, total in [(200, 800000), (150, 1000000)]:
        curriculum = build(ct(end_scales, total))
        for step in list(range(0, 2000, 7)) + list(range(0, total + 1, 997)):
            root = math.sqrt(step / total * ((end_scales + 1)**2 - 4) + 4)
            n = max(math.ceil(root - 1), 1)
            assert curriculum(step) == (
                pytest.approx(math.exp(2 * math.log(0.95) / n), rel=1e-12),
                n + 1)


def test_fixed_ema_with_progressive_scales():
    curriculum = ConsistencyCurriculum(
        scales=ProgressiveScales(2, 200, 800000),
        target_ema=FixedTargetEMA(0.95))
    assert curriculum(0) == (0.95, 2)
    assert curriculum(400000) == (0.95, 143)


def test_progressive_scales_clamp_and_growth_past_total_steps():
    # s0 = 1: sqrt(1) - 1 = 0, clamped to 1 -> N = 2.
    assert ProgressiveScales(1, 10, 100)(0) == 2
    # k = 2K: sqrt(2 (11^2 - 4) + 4) = sqrt(238) = 15.43 -> N = 16.
    assert ProgressiveScales(2, 10, 100)(200) == 16


def test_adaptive_ema_start_scales():
    scales = ProgressiveScales(4, 100, 1000)
    # k = 0: n = 3; mu0^(s0 / n) with s0 = 4 (from the schedule) or 6.
    assert AdaptiveTargetEMA(0.9)(0, scales) == pytest.approx(0.9**(4 / 3))
    assert AdaptiveTargetEMA(0.9, start_scales=6)(0, scales) == (
        pytest.approx(0.9**2))


def test_adaptive_needs_progressive_scales():
    with pytest.raises(ValueError, match='ProgressiveScales'):
        ConsistencyCurriculum(scales=dict(type='FixedScales', scales=40),
                              target_ema=dict(type='AdaptiveTargetEMA'))


def test_defaults_and_validation():
    assert ConsistencyCurriculum()(123) == (0.95, 40)
    assert isinstance(ConsistencyCurriculum().scales, FixedScales)
    with pytest.raises(ValueError):
        FixedTargetEMA(1.5)
    with pytest.raises(ValueError):
        FixedScales(1)
    assert 'ProgressiveScales' in repr(build(ct(150, 10)))
