"""The one interface of every training objective.

An objective is a small callable class (its ``__init__`` holds the
hyperparameters) called as ``objective(batch, networks, parameterisation,
step)``, which returns the unreduced per-sample loss and a dict of scalars
to log; the model averages, checks and logs. ``batch`` is the data
preprocessor's ``dict(img=..., labels=...)``; an objective may also read a
fixed draw of its randomness from it (its docstring names the keys), which
tests use to replay another implementation's draws.
"""
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

import torch
from torch import nn

from ..parameterisations import Parameterisation

ObjectiveOutput = Tuple[torch.Tensor, Dict[str, float]]


@dataclass
class TrainingStep:
    """Where training stands: the iteration and the curriculum's values
    at it (the Karras grid's ``N(k)`` and the target's decay ``mu(k)``)."""
    iteration: int = 0
    num_scales: Optional[int] = None
    target_ema_decay: Optional[float] = None


@dataclass
class TrainingNetworks:
    """The networks an objective may run: the online network (trained),
    the target (an average of it), a frozen teacher and the learned
    log-variance head of the adaptive weighting."""
    online: nn.Module
    target: Optional[nn.Module] = None
    teacher: Optional[nn.Module] = None
    log_variance: Optional[nn.Module] = None


class Objective(ABC):
    """Base of the objectives: what each needs of the model.

    Attributes:
        uses_target: Runs a target network (an average of the online one
            with the curriculum's decay ``mu(k)``).
        uses_num_scales: Reads the curriculum's ``N(k)``.
        accepts_teacher: May distil a frozen teacher.
        accepts_log_variance: May learn the adaptive weighting ``u(t)``.
        parameterisation: The parameterisation it needs, if only one fits.
    """

    uses_target = False
    uses_num_scales = False
    accepts_teacher = False
    accepts_log_variance = False
    parameterisation: Optional[type] = None

    def check(self, network: nn.Module,
              parameterisation: Parameterisation) -> None:
        """Raise if ``network`` or ``parameterisation`` cannot train with
        this objective."""
        need = self.parameterisation
        if need is not None and not isinstance(parameterisation, need):
            raise ValueError(f'{type(self).__name__} needs the '
                             f'{need.__name__}, got '
                             f'{type(parameterisation).__name__}')

    @abstractmethod
    def __call__(self, batch: dict, networks: TrainingNetworks,
                 parameterisation: Parameterisation,
                 step: TrainingStep) -> ObjectiveOutput:
        """``(per-sample loss of shape (N,), scalars to log)``."""


def draw(batch: dict, key: str, make) -> torch.Tensor:
    """The fixed draw ``batch[key]`` if the batch has one, else ``make()``."""
    value = batch.get(key)
    return make() if value is None else value


def lognormal_sigmas(batch_size: int, p_mean: float, p_std: float,
                     device) -> torch.Tensor:
    """``sigma = exp(P_mean + P_std n)``, ``n ~ N(0, 1)``: EDM's training
    distribution of noise levels (Karras et al. 2022, Table 1), which
    ECT keeps and sCM maps to TrigFlow time."""
    return torch.exp(p_mean + p_std * torch.randn(batch_size, device=device))


__all__ = ['Objective', 'ObjectiveOutput', 'TrainingStep', 'TrainingNetworks',
           'draw', 'lognormal_sigmas']
