"""Training curricula of Song et al. (2023): N(k) and the target EMA mu(k).

At iteration ``k`` a curriculum gives the target network's EMA decay
``mu(k)`` and the number of discretisation points ``N(k)`` of the Karras
grid, exactly as the official ``create_ema_and_scales_fn`` does for its
three combinations (``fixed``/``fixed``, ``fixed``/``progressive`` and
``adaptive``/``progressive``). ``mu`` is a *decay*: the target moves as
``target <- mu target + (1 - mu) online``, so mmengine's EMA ``momentum``
would be ``1 - mu``.
"""
from typing import Optional, Tuple, Union

import numpy as np

from mmcm.registry import CURRICULA
from mmcm.utils.reprs import plain_repr


def _build(cfg_or_schedule: Union[dict, object]):
    """Build a config; pass an already built schedule through."""
    if isinstance(cfg_or_schedule, dict):
        return CURRICULA.build(cfg_or_schedule)
    return cfg_or_schedule


@CURRICULA.register_module()
class FixedScales:
    """``N(k) = scales`` at every iteration (official ``scale_mode=fixed``).

    Args:
        scales: Number of points of the Karras grid (official CD: 40).
    """

    def __init__(self, scales: int = 40):
        if scales < 2:
            raise ValueError(f'a grid needs at least 2 points, got {scales}')
        self.scales = int(scales)

    def __call__(self, step: int) -> int:
        return self.scales

    def __repr__(self) -> str:
        return f'{type(self).__name__}(scales={self.scales})'


class _GrowingScales:
    """``N(k)`` that grows from ``start_scales`` towards ``end_scales`` over
    ``total_steps`` iterations."""

    start_scales: int
    end_scales: int
    total_steps: int

    def __repr__(self) -> str:
        return plain_repr(self, 'start_scales', 'end_scales', 'total_steps')


@CURRICULA.register_module()
class ProgressiveScales(_GrowingScales):
    """Growing ``N(k)`` of Song et al. (2023), Appendix C.

    ``N(k) = ceil(sqrt(k / K ((s1 + 1)^2 - s0^2) + s0^2) - 1) + 1`` with
    ``s0 = start_scales``, ``s1 = end_scales`` and ``K = total_steps``; the
    official code also clamps the term before the ``+ 1`` to at least 1.
    It keeps growing past ``K`` as the official code does.

    Args:
        start_scales: ``s0`` (official CT: 2).
        end_scales: ``s1`` (official CT: 200 on ImageNet-64, 150 on LSUN).
        total_steps: ``K`` (official CT: 800000 and 1000000).
    """

    def __init__(self, start_scales: int = 2, end_scales: int = 150,
                 total_steps: int = 1000000):
        if total_steps <= 0:
            raise ValueError(f'total_steps must be positive, got '
                             f'{total_steps}')
        self.start_scales = start_scales
        self.end_scales = end_scales
        self.total_steps = total_steps

    def num_intervals(self, step: int) -> int:
        """``N(k) - 1``, the official value before its ``+ 1``.

        The adaptive target EMA of the official code divides by this
        number, not by ``N(k)``.
        """
        s0, s1 = self.start_scales, self.end_scales
        # Same float64 operations, in the same order, as the official code.
        root = np.sqrt((step / self.total_steps) * ((s1 + 1)**2 - s0**2) +
                       s0**2)
        return max(int(np.ceil(root - 1)), 1)

    def __call__(self, step: int) -> int:
        return self.num_intervals(step) + 1


@CURRICULA.register_module()
class ExponentialScales(_GrowingScales):
    """Doubling ``N(k)`` of improved CT, Song & Dhariwal (2023), Eq. (11).

    ``N(k) = min(s0 2^floor(k / K'), s1) + 1`` with
    ``K' = floor(K / (log2 floor(s1 / s0) + 1))``: the number of intervals
    doubles from ``s0`` every ``K'`` iterations until it reaches ``s1``.
    The logarithm is not rounded, so ``s1`` is reached for any ratio
    (``s0 = 10, s1 = 150, K = 100``: ``K' = 20``, ``N = 151`` from
    ``k = 80``).

    Args:
        start_scales: ``s0`` (improved CT: 10).
        end_scales: ``s1`` (improved CT: 1280).
        total_steps: ``K``, the length of training.
    """

    def __init__(self, start_scales: int = 10, end_scales: int = 1280,
                 total_steps: int = 400000):
        if not 1 <= start_scales <= end_scales:
            raise ValueError(f'need 1 <= start_scales <= end_scales, got '
                             f'{start_scales} and {end_scales}')
        self.start_scales = int(start_scales)
        self.end_scales = int(end_scales)
        self.total_steps = int(total_steps)
        self.steps_per_doubling = max(
            int(self.total_steps / (np.log2(end_scales // start_scales) + 1)),
            1)

    def __call__(self, step: int) -> int:
        doublings = step // self.steps_per_doubling
        intervals = min(self.start_scales * 2**doublings, self.end_scales)
        return int(intervals) + 1


@CURRICULA.register_module()
class StagedScales:
    """``N(k) = q^(floor(k / stage_iters) + 1)``: the stages of easy
    consistency tuning (Geng et al. 2024), whose pair gap ``t - r``
    shrinks by ``q`` per stage; :class:`~mmcm.models.objectives.ECTObjective`
    reads ``N`` as the ``q^a`` of its mapping function.

    The authors' ``ratio_limit`` caps the ratio ``r / t ~ 1 - 1 / N`` at
    ``1 - 1 / N <= ratio_limit``, i.e. ``N <= 1 / (1 - ratio_limit)`` (then a
    float); ``start_stage`` continues an earlier run's stages (truncated
    consistency models start stage 2 where stage 1 ended: its code's
    ``--resume_tick``).

    Args:
        q: Gap reduction per stage (the paper: 2 or 4).
        stage_iters: Iterations per stage (the paper's ``d``).
        start_stage: The stage at iteration 0.
        ratio_limit: Cap of ``1 - 1 / N``; ``None``: no cap.
    """

    def __init__(self, q: int = 2, stage_iters: int = 25000,
                 start_stage: int = 0, ratio_limit: Optional[float] = None):
        if q < 2 or stage_iters < 1 or start_stage < 0:
            raise ValueError(f'need q >= 2, stage_iters >= 1 and start_stage '
                             f'>= 0, got q={q}, stage_iters={stage_iters}, '
                             f'start_stage={start_stage}')
        if ratio_limit is not None and not 0 < ratio_limit < 1:
            raise ValueError(f'ratio_limit lies in (0, 1), got {ratio_limit}')
        self.q, self.stage_iters = int(q), int(stage_iters)
        self.start_stage, self.ratio_limit = int(start_stage), ratio_limit

    def __call__(self, step: int) -> Union[int, float]:
        scales = self.q**(step // self.stage_iters + self.start_stage + 1)
        if self.ratio_limit is not None and 1 - 1 / scales > self.ratio_limit:
            return 1 / (1 - self.ratio_limit)
        return scales

    def __repr__(self) -> str:
        return plain_repr(self, 'q', 'stage_iters', 'start_stage',
                          'ratio_limit')


@CURRICULA.register_module()
class FixedTargetEMA:
    """``mu(k) = decay`` (official ``target_ema_mode=fixed``).

    Args:
        decay: The target EMA decay ``mu`` (official CD: 0.95).
    """

    needs_progressive_scales = False

    def __init__(self, decay: float = 0.95):
        if not 0 <= decay <= 1:
            raise ValueError(f'an EMA decay lies in [0, 1], got {decay}')
        self.decay = float(decay)

    def __call__(self, step: int, scales) -> float:
        return self.decay

    def __repr__(self) -> str:
        return f'{type(self).__name__}(decay={self.decay})'


@CURRICULA.register_module()
class AdaptiveTargetEMA:
    """``mu(k) = exp(s0 log mu0 / N(k))``, Song et al. (2023), Appendix C.

    As in the official code (``target_ema_mode=adaptive``), the divisor is
    the progressive schedule's value *before* its ``+ 1``, i.e. ``N(k) - 1``
    of the paper's formula, so ``mu(0) = mu0^2`` when ``s0 = 2``.

    Args:
        start_ema: ``mu0`` (official CT: 0.95).
        start_scales: ``s0``; ``None`` takes the progressive schedule's.
    """

    needs_progressive_scales = True

    def __init__(self, start_ema: float = 0.95, start_scales=None):
        if not 0 < start_ema <= 1:
            raise ValueError(f'start_ema must lie in (0, 1], got {start_ema}')
        self.start_ema = start_ema
        self.start_scales = start_scales

    def __call__(self, step: int, scales: ProgressiveScales) -> float:
        s0 = (scales.start_scales
              if self.start_scales is None else self.start_scales)
        c = -np.log(self.start_ema) * s0
        return float(np.exp(-c / scales.num_intervals(step)))

    def __repr__(self) -> str:
        return plain_repr(self, 'start_ema', 'start_scales')


@CURRICULA.register_module()
class ConsistencyCurriculum:
    """``step -> (target_ema_decay, num_scales)``, the official curriculum.

    Defaults are the official CD runs: ``mu = 0.95`` and ``N = 40``. The
    official CT runs use ``target_ema=dict(type='AdaptiveTargetEMA',
    start_ema=0.95)`` with ``scales=dict(type='ProgressiveScales',
    start_scales=2, end_scales=200 or 150, total_steps=800000 or 1000000)``.

    Args:
        scales: Config (or object) of the discretisation schedule ``N(k)``;
            ``None`` is ``dict(type='FixedScales', scales=40)``.
        target_ema: Config (or object) of the target EMA decay ``mu(k)``;
            ``None`` is ``dict(type='FixedTargetEMA', decay=0.95)``.
    """

    def __init__(self, scales: Union[dict, object, None] = None,
                 target_ema: Union[dict, object, None] = None):
        self.scales = _build(scales or dict(type='FixedScales', scales=40))
        self.target_ema = _build(
            target_ema or dict(type='FixedTargetEMA', decay=0.95))
        if (getattr(self.target_ema, 'needs_progressive_scales', False)
                and not hasattr(self.scales, 'num_intervals')):
            raise ValueError(
                f'{type(self.target_ema).__name__} follows a progressive '
                f'discretisation; use it with ProgressiveScales, not '
                f'{type(self.scales).__name__} (the official code has no '
                'adaptive/fixed combination)')

    def __call__(self, step: int) -> Tuple[float, Union[int, float]]:
        """Return ``(target_ema_decay, num_scales)`` at iteration ``step``
        (an int, except a :class:`StagedScales` capped by its limit)."""
        return float(self.target_ema(step, self.scales)), self.scales(step)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(scales={self.scales!r}, '
                f'target_ema={self.target_ema!r})')
