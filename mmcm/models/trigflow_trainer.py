"""Training in TrigFlow: sCT, sCD (Lu & Song 2024) and TrigFlow diffusion."""
from typing import Dict, List, Optional

import torch
from torch import nn

from mmcm.registry import MODELS
from mmcm.utils.functional import label_kwargs
from .preconditioning import TrigFlowPreconditioner
from .trainers import AveragedTrainer, FrozenTeacherMixin, current_iteration
from .unets.blocks import timestep_embedding


class LogVarianceHead(nn.Module):
    """The learned log-variance ``u(t)`` of the adaptive weighting: one
    linear layer on a sinusoidal embedding of ``time_scale * t`` (starts at
    ``u = 0``, i.e. unit weights)."""

    def __init__(self, dim: int = 128, time_scale: float = 1.0):
        super().__init__()
        self.dim, self.time_scale = dim, time_scale
        self.linear = nn.Linear(dim, 1)
        nn.init.zeros_(self.linear.weight)
        nn.init.zeros_(self.linear.bias)

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        embedding = timestep_embedding(self.time_scale * t, self.dim)
        return self.linear(embedding)[:, 0]


@MODELS.register_module()
class TrigFlowTrainer(FrozenTeacherMixin, AveragedTrainer):
    """Continuous-time consistency training (sCT), distillation (sCD) or
    TrigFlow diffusion training, by the objective.

    Args:
        objective: ``SCMObjective`` (default; sCT, or sCD with ``teacher``)
            or ``TrigFlowObjective`` (a diffusion model, e.g. a teacher).
        teacher: For sCD: ``dict(checkpoint=..., unet=None,
            init_student=True)``, a TrigFlow diffusion network (trained with
            ``TrigFlowObjective``); ``unet`` defaults to the student's.
        adaptive_weighting: Learn the log-variance weighting ``u(t)``.
        **kwargs: :class:`AveragedTrainer` arguments; the preconditioner is
            :class:`TrigFlowPreconditioner`.
    """

    TRAINING_ARGS = AveragedTrainer.TRAINING_ARGS + (
        'objective', 'teacher', 'adaptive_weighting')

    @classmethod
    def sampling_cfg_of(cls, model_cfg: dict) -> dict:
        cfg = super().sampling_cfg_of(model_cfg)
        cfg.setdefault('preconditioner', dict(type='TrigFlowPreconditioner'))
        return cfg

    def __init__(self, *args, objective: Optional[dict] = None,
                 teacher: Optional[dict] = None,
                 adaptive_weighting: bool = True, **kwargs):
        kwargs.setdefault('preconditioner',
                          dict(type='TrigFlowPreconditioner'))
        super().__init__(*args, **kwargs)
        if not isinstance(self.preconditioner, TrigFlowPreconditioner):
            raise ValueError('TrigFlowTrainer needs the '
                             'TrigFlowPreconditioner')
        self.objective = self.build_objective(objective, 'SCMObjective')
        self.log_variance = LogVarianceHead(
            time_scale=self.preconditioner.time_scale) \
            if adaptive_weighting else None
        self._setup_teacher(teacher)
        self.accelerate_training()

    def trig_network(self, network: nn.Module,
                     labels: Optional[torch.Tensor]):
        """``F(x / sigma_d, t)`` as a function of ``(x_scaled, t)``."""
        scale = self.preconditioner.time_scale
        kwargs = label_kwargs(labels)

        def forward(x_scaled, t):
            return network(x_scaled, scale * t, **kwargs)

        return forward

    def loss(self, inputs: Dict, data_samples: Optional[List] = None):
        step = current_iteration()
        labels = inputs.get('labels')
        teacher = (None if self.teacher is None else
                   self.trig_network(self.teacher, labels))
        per_sample = self.objective(
            self.trig_network(self.unet, labels), inputs['img'], step=step,
            teacher=teacher, log_variance=self.log_variance)
        logs = {}
        if hasattr(self.objective, 'warmup'):
            logs['tangent_warmup'] = self.objective.warmup(step)
        return self._finish(per_sample, step, **logs)
