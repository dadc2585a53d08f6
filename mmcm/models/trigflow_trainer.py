"""Training in TrigFlow: sCT, sCD (Lu & Song 2024) and TrigFlow diffusion."""
import math
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
    linear layer, initialised to zero (``u = 0``, unit weights), on an
    embedding of the network's noise input ``c_noise = time_scale * t``.

    Args:
        dim: Embedding channels.
        time_scale: ``c_noise / t``, as the preconditioner's.
        embedding: ``'fourier'``, EDM2's random Fourier features
            ``sqrt(2) cos(2 pi (f c_noise + p))`` with ``f ~ N(0, 1)``,
            ``p ~ U(0, 1)`` (Karras et al. 2024, ``MPFourier``; the sCM
            paper's networks are EDM2's), fixed by ``seed``; or
            ``'sinusoidal'``, ADM's transformer embedding, whose
            frequencies are all below one per unit of ``c_noise``: the
            head then follows the loss scale over ``t`` only coarsely.
        seed: Seed of the Fourier frequencies and phases.
    """

    EMBEDDINGS = ('fourier', 'sinusoidal')

    def __init__(self, dim: int = 128, time_scale: float = 1.0,
                 embedding: str = 'fourier', seed: int = 0):
        super().__init__()
        if embedding not in self.EMBEDDINGS:
            raise ValueError(f'embedding must be one of {self.EMBEDDINGS}, '
                             f'got {embedding!r}')
        self.dim, self.time_scale = dim, time_scale
        self.embedding = embedding
        if embedding == 'fourier':
            generator = torch.Generator().manual_seed(seed)
            self.register_buffer('frequencies',
                                 torch.randn(dim, generator=generator))
            self.register_buffer('phases',
                                 torch.rand(dim, generator=generator))
        self.linear = nn.Linear(dim, 1)
        nn.init.zeros_(self.linear.weight)
        nn.init.zeros_(self.linear.bias)

    def embed(self, t: torch.Tensor) -> torch.Tensor:
        """The features of ``c_noise = time_scale * t``, float32 at least."""
        c_noise = self.time_scale * t.to(
            torch.promote_types(t.dtype, torch.float32))
        if self.embedding == 'sinusoidal':
            return timestep_embedding(c_noise, self.dim)
        angle = 2 * math.pi * (c_noise[:, None] * self.frequencies +
                               self.phases)
        return math.sqrt(2) * torch.cos(angle)

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        # A loss weighting: float32 under mixed precision too.
        with torch.autocast(t.device.type, enabled=False):
            return self.linear(self.embed(t))[:, 0]


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
        log_variance_embedding: The embedding of ``t`` in the
            :class:`LogVarianceHead` (``'fourier'``, the paper's, default;
            or ``'sinusoidal'``).
        **kwargs: :class:`AveragedTrainer` arguments; the preconditioner is
            :class:`TrigFlowPreconditioner`.
    """

    TRAINING_ARGS = AveragedTrainer.TRAINING_ARGS + (
        'objective', 'teacher', 'adaptive_weighting',
        'log_variance_embedding')

    @classmethod
    def sampling_cfg_of(cls, model_cfg: dict) -> dict:
        cfg = super().sampling_cfg_of(model_cfg)
        cfg.setdefault('preconditioner', dict(type='TrigFlowPreconditioner'))
        return cfg

    def __init__(self, *args, objective: Optional[dict] = None,
                 teacher: Optional[dict] = None,
                 adaptive_weighting: bool = True,
                 log_variance_embedding: str = 'fourier', **kwargs):
        kwargs.setdefault('preconditioner',
                          dict(type='TrigFlowPreconditioner'))
        super().__init__(*args, **kwargs)
        if not isinstance(self.preconditioner, TrigFlowPreconditioner):
            raise ValueError('TrigFlowTrainer needs the '
                             'TrigFlowPreconditioner')
        self.objective = self.build_objective(objective, 'SCMObjective')
        self.log_variance = LogVarianceHead(
            time_scale=self.preconditioner.time_scale,
            embedding=log_variance_embedding) if adaptive_weighting else None
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
