"""The training block of a consistency model: objective, curriculum,
teacher and averages.

The online network is optimised by the runner's optimizer wrapper. The
target network and the evaluation EMAs follow one rule with one owner:
:class:`mmcm.engine.ConsistencyAveragesHook` calls the model's
``update_averages`` after every optimizer step (official
``CMTrainLoop.run_step`` order: optimise, update EMAs, update target). A
hook rather than ``train_step`` owns it because distributed wrappers run
the forward and backward themselves, without the module's ``train_step``.
"""
from typing import Dict, Optional, Sequence

import torch
from mmengine.logging import MessageHub

from mmcm.registry import CURRICULA, MODELS
from mmcm.utils.checkpoint import load_unet_into
from .averaging import EMANetworks, frozen_copy
from .guidance import GuidedNetwork
from .log_variance import LogVarianceHead
from .objectives import TrainingStep
from .posthoc_ema import PowerEMANetworks

OFFICIAL_EMA_DECAYS = (0.999, 0.9999, 0.9999432189950708)
TRAIN_ACCELERATIONS = ('channels_last', 'compile')
SAMPLE_WITH = ('ema', 'online')


def network_dtype(network: torch.nn.Module) -> torch.dtype:
    """The dtype a network's torso computes in (``use_fp16``: float16);
    float32 for networks that do not say (e.g. a diffusers UNet)."""
    return getattr(network, 'dtype', torch.float32)


def current_iteration() -> int:
    """The runner's iteration (0 outside a runner)."""
    return int(MessageHub.get_current_instance().get_info('iter', 0) or 0)


def checked_acceleration(options: Optional[dict]) -> dict:
    """``dict(channels_last=..., compile=...)``, unknown keys refused."""
    options = dict(options or {})
    unknown = set(options) - set(TRAIN_ACCELERATIONS)
    if unknown:
        raise ValueError(f'unknown training.acceleration keys '
                         f'{sorted(unknown)}; known: {TRAIN_ACCELERATIONS}')
    return options


def keep_master_weights(network: torch.nn.Module) -> None:
    """Float32 master weights for a ``use_fp16`` network (official fp16
    training): the optimizer, EMAs and target then hold float32."""
    if not hasattr(network, 'keep_master_weights'):
        raise TypeError(f'use_fp16 training needs float32 master weights, '
                        f'which {type(network).__name__} does not keep; use '
                        'ADMUNet')
    network.keep_master_weights()


def build_teacher(network_cfg: dict, network: Optional[dict] = None,
                  checkpoint: Optional[str] = None,
                  dropout: Optional[float] = None,
                  guidance: Optional[dict] = None) -> torch.nn.Module:
    """A frozen teacher network: ``network`` (default: the student's
    config ``network_cfg``) with ``dropout``, loaded from ``checkpoint``,
    guided if ``guidance`` (:func:`build_guided_teacher`)."""
    cfg = dict(network or network_cfg)
    if dropout is not None:
        cfg['dropout'] = dropout
    teacher = MODELS.build(cfg)
    if checkpoint:
        load_unet_into(teacher, checkpoint)
    if guidance is not None:
        teacher = build_guided_teacher(teacher, **guidance)
    return teacher.requires_grad_(False).eval()


def unguided(network: torch.nn.Module) -> torch.nn.Module:
    """The conditional network of a :class:`GuidedNetwork`, or ``network``."""
    return network.network if isinstance(network, GuidedNetwork) else network


def build_guided_teacher(teacher: torch.nn.Module, scale: float,
                         guide: Optional[dict] = None) -> GuidedNetwork:
    """``teacher`` guided with ``scale``: classifier-free by its null class,
    or by ``guide=dict(network=..., checkpoint=...)``, a frozen guiding
    network built as a teacher is (EDM2's unconditional or smaller
    ``gnet``)."""
    guide_network = None if guide is None else build_teacher(None, **guide)
    return GuidedNetwork(teacher, scale, guide_network)


class TrainingBlock:
    """What a :class:`~mmcm.models.ConsistencyModel` trains with.

    It registers the networks on the model (``ema``, ``target_unet``,
    ``teacher``, ``log_variance``: the keys of every checkpoint) and keeps
    the rest.

    Args:
        model: The model, whose ``unet`` is the online network.
        objective: Config of the objective (``MODELS``).
        curriculum: Config (``CURRICULA``) of ``(mu(k), N(k))``; by default
            ``ConsistencyCurriculum`` where the objective reads ``N(k)`` or
            runs a target network.
        teacher: ``dict(network=..., checkpoint=..., init_student=True,
            dropout=None, guidance=None)``: a frozen diffusion model to
            distil (``network`` defaults to the student's); the student and
            its EMAs start from its weights if ``init_student``.
            ``guidance=dict(scale=w, guide=None)`` distils the guided
            teacher (:class:`~mmcm.models.guidance.GuidedNetwork`):
            classifier-free by the teacher's null class, or by
            ``guide=dict(network=..., checkpoint=...)``.
        averages: ``dict(ema_decays=..., sample_with='ema')``: the decays
            of the evaluation EMAs of the online network (official:
            :data:`OFFICIAL_EMA_DECAYS`) and which weights sample
            (``'ema'``, the last EMA, or ``'online'``). Or
            ``dict(posthoc_stds=(0.05, 0.1), sample_with='ema')``: instead
            of them, power-function EMAs of these relative stds (EDM2
            post-hoc EMA, :mod:`mmcm.models.posthoc_ema`), ``'ema'`` then
            sampling with the last std's; ``PostHocEMASnapshotHook``
            saves their snapshots, from which
            ``tools/reconstruct_posthoc_ema.py`` rebuilds any other std.
        init_from: A checkpoint (official ``.pt`` or mmengine, EMA weights
            first) that the online network, its EMAs and the target start
            from, e.g. a diffusion model for easy consistency tuning.
        log_variance: ``dict(embedding='fourier')``: learn sCM's adaptive
            weighting with a :class:`LogVarianceHead`; ``None``: none.
        acceleration: ``dict(channels_last=..., compile=...)`` for the
            networks that train (online, target, teacher), e.g. from
            ``tools/train.py --compile --channels-last``.
    """

    def __init__(self, model, objective: dict,
                 curriculum: Optional[dict] = None,
                 teacher: Optional[dict] = None,
                 averages: Optional[dict] = None,
                 init_from: Optional[str] = None,
                 log_variance: Optional[dict] = None,
                 acceleration: Optional[dict] = None):
        network = model.unet
        self.acceleration = checked_acceleration(acceleration)
        if network_dtype(network) != torch.float32:  # use_fp16 training
            keep_master_weights(network)
        if init_from:
            load_unet_into(network, init_from)
        model.ema, self.sample_with = self._averages(network,
                                                     **(averages or {}))
        self.objective = MODELS.build(objective)
        self.objective.check(network, model.parameterisation)
        self.curriculum = self._curriculum(curriculum)
        model.log_variance = self._log_variance(log_variance,
                                                model.parameterisation)
        model.teacher = self._teacher(teacher, model)
        if self.objective.uses_target:
            model.target_unet = frozen_copy(network)

    @staticmethod
    def _averages(network: torch.nn.Module,
                  ema_decays: Optional[Sequence[float]] = None,
                  posthoc_stds: Optional[Sequence[float]] = None,
                  sample_with: str = 'ema'):
        """The evaluation EMAs (``model.ema``) and ``sample_with``."""
        if sample_with not in SAMPLE_WITH:
            raise ValueError(f'averages.sample_with must be one of '
                             f'{SAMPLE_WITH}, got {sample_with!r}')
        if posthoc_stds is not None and ema_decays is not None:
            raise ValueError('averages takes ema_decays (EMAs) or '
                             'posthoc_stds (power-function EMAs), not both; '
                             'a config that inherits ema_decays sets '
                             'averages=dict(_delete_=True, posthoc_stds=...)')
        if posthoc_stds is not None:
            averages = PowerEMANetworks(network, posthoc_stds)
        else:
            averages = EMANetworks(network, OFFICIAL_EMA_DECAYS
                                   if ema_decays is None else ema_decays)
        if sample_with == 'ema' and not len(averages):
            raise ValueError('sample_with="ema" needs at least one EMA decay '
                             'or post-hoc std')
        return averages, sample_with

    def _curriculum(self, cfg: Optional[dict]):
        needs = self.objective.uses_num_scales or self.objective.uses_target
        if cfg is None and not needs:
            return None
        return CURRICULA.build(cfg or dict(type='ConsistencyCurriculum'))

    def _refuse(self, accepted: bool, key: str, reason: str) -> None:
        if not accepted:
            raise ValueError(f'{type(self.objective).__name__} {reason}: '
                             f'remove training.{key}')

    def _log_variance(self, cfg: Optional[dict], parameterisation):
        if cfg is None:
            return None
        self._refuse(self.objective.accepts_log_variance, 'log_variance',
                     'has no adaptive weighting')
        time_scale = getattr(parameterisation, 'time_scale', 1.0)
        return LogVarianceHead(time_scale=time_scale, **cfg)

    def _teacher(self, cfg: Optional[dict], model):
        if cfg is None:
            return None
        self._refuse(self.objective.accepts_teacher, 'teacher',
                     'trains without a teacher (start the network from a '
                     'diffusion model with training.init_from instead)')
        cfg = dict(cfg)
        init_student = cfg.pop('init_student', True)
        teacher = build_teacher(model.network_cfg, **cfg)
        if init_student:
            model.unet.load_state_dict(
                unguided(teacher).state_dict())
        model.ema.reset(model.unet)
        return teacher

    def step(self, iteration: int) -> TrainingStep:
        """The curriculum's values at ``iteration``."""
        if self.curriculum is None:
            return TrainingStep(iteration)
        target_ema_decay, num_scales = self.curriculum(iteration)
        return TrainingStep(iteration, num_scales, target_ema_decay)

    def logs(self, step: TrainingStep) -> Dict[str, float]:
        """The curriculum's values to log."""
        if self.curriculum is None:
            return {}
        return dict(num_scales=step.num_scales,
                    target_ema_decay=step.target_ema_decay)


def check_finite(loss: torch.Tensor, network: torch.nn.Module,
                 iteration: int) -> None:
    """Stop on a non-finite loss, except in fp16 (autocast or the
    ``use_fp16`` torso): there the loss scaler of
    ``MixedPrecisionOptimWrapper`` skips the step instead (and the
    averages hook leaves the averages)."""
    device = loss.device.type
    if network_dtype(network) == torch.float16 or (
            torch.is_autocast_enabled(device)
            and torch.get_autocast_dtype(device) == torch.float16):
        return
    if not torch.isfinite(loss):
        raise FloatingPointError(
            f'non-finite loss ({loss.item()}) at iteration {iteration}; the '
            'weights were not updated. Lower the learning rate or train '
            'with --amp fp16 (dynamic loss scaling skips such steps).')


def drop_teacher_keys(module, state_dict, prefix, local_metadata):
    """Checkpoints reference the teacher through the config, not weights."""
    for key in [k for k in state_dict if k.startswith(prefix + 'teacher.')]:
        del state_dict[key]


def ignore_missing_teacher(module, incompatible_keys) -> None:
    missing = incompatible_keys.missing_keys
    missing[:] = [k for k in missing if not k.startswith('teacher.')]


def drop_averaged_iter(state_dict, prefix, *args) -> None:
    """Checkpoints written before the averages hook became their only
    owner hold an ``averaged_iter`` buffer; it carries nothing now."""
    state_dict.pop(prefix + 'averaged_iter', None)
