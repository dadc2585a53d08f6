"""Power-function EMAs and post-hoc EMA reconstruction.

Karras et al. (2024), "Analyzing and Improving the Training Dynamics of
Diffusion Models" (EDM2), Section 3 and Appendix C. A power-function EMA
with exponent ``gamma`` averages the weights ``theta(1) ... theta(t)`` of
the first ``t`` training steps with a profile that grows as
``tau^gamma``; its width relative to ``t`` (the ``sigma_rel`` of the
paper, here ``std``) does not change as training goes on. Snapshots of two
such EMAs taken every few thousand steps let any other width be rebuilt
after training, as the least-squares combination of the snapshots'
profiles (Appendix C.3).

The time ``t`` is counted in optimizer steps: after the ``t``-th update the
average covers ``theta(1) ... theta(t)``. For a constant batch size this is
the same average as the paper's count in training images, whose update
factor ``(1 - batch / images)^(gamma + 1)`` depends on the ratio alone.
"""
import math
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np
import torch
from torch import nn

from .averaging import frozen_copy, update_average

Snapshot = Tuple[int, float, Dict[str, torch.Tensor]]
MAX_STD = math.sqrt(1.0 / 12.0)  # exponent 0: a uniform average


def exponent_to_std(gamma: float) -> float:
    """The relative std of the power-function profile with exponent
    ``gamma``: ``sqrt((gamma + 1) / ((gamma + 2)^2 (gamma + 3)))``
    (EDM2 Appendix C, Eq. 123)."""
    return math.sqrt((gamma + 1) / ((gamma + 2) ** 2 * (gamma + 3)))


def std_to_exponent(std: float) -> float:
    """The exponent ``gamma >= 0`` whose profile has relative std ``std``.

    Eq. 123 squared and multiplied out is a cubic in ``gamma`` (EDM2
    Appendix C, Eq. 126): ``gamma^3 + 7 gamma^2 + (16 - s) gamma + 12 - s
    = 0`` with ``s = std^-2``; ``gamma`` is its largest real root.

    Raises:
        ValueError: ``std`` outside ``(0, sqrt(1/12)]``.
    """
    if not 0 < std <= MAX_STD:
        raise ValueError(f'a power-function EMA std must lie in (0, '
                         f'{MAX_STD:.4f}], got {std}')
    s = std ** -2
    roots = np.roots([1.0, 7.0, 16.0 - s, 12.0 - s])
    return float(max(0.0, roots[np.isreal(roots)].real.max()))


def power_ema_beta(step: int, gamma: float) -> float:
    """The update factor at step ``step`` (counted from 1):
    ``beta(t) = (1 - 1/t)^(gamma + 1)`` (EDM2 Section 3; Appendix C,
    Eq. 127). After ``t`` updates ``theta_avg <- beta theta_avg + (1 -
    beta) theta`` holds ``sum_tau w_tau theta(tau)`` with ``w_tau =
    (tau^(gamma+1) - (tau-1)^(gamma+1)) / t^(gamma+1)``, the profile
    ``(gamma + 1) tau^gamma / t^(gamma+1)`` integrated over each step."""
    return (1.0 - 1.0 / step) ** (gamma + 1.0)


def profile_inner_product(step_a: float, gamma_a: float, step_b: float,
                          gamma_b: float) -> float:
    """``integral p_a(tau) p_b(tau) d tau`` of two power-function profiles
    ``p(tau) = (gamma + 1) tau^gamma / t^(gamma+1)`` on ``[0, t]`` (EDM2
    Appendix C.3, Eq. 151): with ``t_a <= t_b`` it is ``(gamma_a + 1)
    (gamma_b + 1) (t_a / t_b)^gamma_b / ((gamma_a + gamma_b + 1) t_b)``."""
    if step_a > step_b:
        step_a, gamma_a, step_b, gamma_b = step_b, gamma_b, step_a, gamma_a
    ratio = (step_a / step_b) ** gamma_b
    return ((gamma_a + 1) * (gamma_b + 1) * ratio
            / ((gamma_a + gamma_b + 1) * step_b))


def solve_posthoc_weights(snapshot_steps: Sequence[int],
                          snapshot_gammas: Sequence[float],
                          target_step: int,
                          target_gamma: float) -> np.ndarray:
    """Coefficients of the snapshots whose combined profile is closest
    (least squares over ``tau``) to the power-function profile of
    ``target_gamma`` at ``target_step`` (EDM2 Appendix C.3).

    Solves the normal equations ``G x = b`` (``G``: inner products of the
    snapshot profiles, ``b``: theirs with the target's) in float64 by
    least squares, so that repeated snapshots do not make it fail, and
    rescales ``x`` to sum to 1, so that the result stays an average.

    Args:
        snapshot_steps: Step of each snapshot.
        snapshot_gammas: Exponent of each snapshot's EMA.
        target_step: Step of the EMA to rebuild.
        target_gamma: Exponent of the EMA to rebuild.

    Returns:
        One coefficient per snapshot.
    """
    pairs = list(zip(snapshot_steps, snapshot_gammas))
    gram = np.array([[profile_inner_product(*a, *b) for b in pairs]
                     for a in pairs], dtype=np.float64)
    target = np.array([profile_inner_product(*a, target_step, target_gamma)
                       for a in pairs], dtype=np.float64)
    weights = np.linalg.lstsq(gram, target, rcond=None)[0]
    return weights / weights.sum()


def combine_state_dicts(weights: Sequence[float],
                        states: Iterable[Dict[str, torch.Tensor]]
                        ) -> Dict[str, torch.Tensor]:
    """``sum_i weights[i] * states[i]`` of the floating-point tensors,
    accumulated in float64 one state at a time (``states`` may load
    lazily) and returned in each tensor's dtype. Other tensors (integer
    buffers) are taken from the last state."""
    total: Dict[str, torch.Tensor] = {}
    dtypes: Dict[str, torch.dtype] = {}
    for weight, state in zip(weights, states):
        for key, value in state.items():
            if not value.is_floating_point():
                total[key] = value.clone()
                continue
            dtypes[key] = value.dtype
            value = value.detach().to(torch.float64)
            if key in total:
                total[key].add_(value, alpha=float(weight))
            else:
                total[key] = value * float(weight)
    return {key: value.to(dtypes[key]) if key in dtypes else value
            for key, value in total.items()}


def reconstruct(snapshots: Sequence[Snapshot], target_std: float,
                target_step: Optional[int] = None
                ) -> Dict[str, torch.Tensor]:
    """The power-function EMA of relative std ``target_std`` at
    ``target_step``, rebuilt from snapshots of other power-function EMAs.

    Args:
        snapshots: ``(step, gamma, state_dict)`` of each snapshot.
        target_std: Relative std of the EMA to rebuild.
        target_step: A snapshot step (default: the latest); snapshots
            taken after it are not used.

    Returns:
        The rebuilt state dict.

    Raises:
        ValueError: No snapshots, or ``target_step`` is none of theirs.
    """
    steps = sorted({int(step) for step, _, _ in snapshots if int(step) > 0})
    if not steps:
        raise ValueError('post-hoc EMA reconstruction needs snapshots')
    target_step = steps[-1] if target_step is None else int(target_step)
    if target_step not in steps:
        raise ValueError(f'target step {target_step} is no snapshot step; '
                         f'snapshots were taken at steps {steps}')
    used = sorted((s for s in snapshots if 0 < s[0] <= target_step),
                  key=lambda s: (int(s[0]), float(s[1])))
    weights = solve_posthoc_weights([s[0] for s in used],
                                    [s[1] for s in used], target_step,
                                    std_to_exponent(target_std))
    return combine_state_dicts(weights, (s[2] for s in used))


class PowerEMANetworks(nn.Module):
    """One frozen power-function EMA of a network per relative std.

    The interface of :class:`~mmcm.models.averaging.EMANetworks`. The
    number of updates so far (``t``) is the ``step`` buffer, so it is
    saved and resumed with the weights.

    Args:
        network: The online network to average.
        stds: Relative stds of the EMAs (EDM2: ``(0.050, 0.100)``).
    """

    def __init__(self, network: nn.Module, stds: Sequence[float]):
        super().__init__()
        self.stds = tuple(float(std) for std in stds)
        self.gammas = tuple(std_to_exponent(std) for std in self.stds)
        self.networks = nn.ModuleList(frozen_copy(network)
                                      for _ in self.stds)
        self.register_buffer('step', torch.zeros((), dtype=torch.int64))

    def reset(self, source: nn.Module) -> None:
        """Copy ``source``'s weights into every EMA and restart at step 0."""
        for network in self.networks:
            network.load_state_dict(source.state_dict())
        self.step.zero_()

    def update(self, source: nn.Module, step: Optional[int] = None) -> None:
        """Average ``source``'s weights in as those of step ``step``
        (default: one more than the last). At step 1 every EMA becomes a
        copy of ``source``."""
        step = int(self.step) + 1 if step is None else int(step)
        for network, gamma in zip(self.networks, self.gammas):
            update_average(network, source, power_ema_beta(step, gamma))
        self.step.fill_(step)

    def snapshots(self) -> List[Snapshot]:
        """``(step, gamma, state_dict)`` of every EMA now, the tensors
        detached copies on the CPU."""
        step = int(self.step)
        return [(step, gamma, {key: value.detach().cpu().clone()
                               for key, value in network.state_dict().items()})
                for gamma, network in zip(self.gammas, self.networks)]

    def __len__(self) -> int:
        return len(self.stds)
