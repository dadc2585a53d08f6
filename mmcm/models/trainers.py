"""Trainable consistency models and EDM teachers for mmengine runners.

The online network is optimised by the runner's optimizer wrapper. The
target network and the evaluation EMAs follow one rule with one owner:
:class:`mmcm.engine.ConsistencyAveragesHook` calls
:meth:`AveragedTrainer.update_averages` after every optimizer step
(official ``CMTrainLoop.run_step`` order: optimise, update EMAs, update
target). A hook rather than ``train_step`` owns it because distributed
wrappers run the forward and backward themselves, without the module's
``train_step``.
"""
from functools import partial
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.logging import MessageHub

from mmcm.registry import CURRICULA, MODELS
from mmcm.utils.checkpoint import load_unet_into
from mmcm.utils.functional import label_kwargs
from .averaging import EMANetworks, frozen_copy, update_average
from .consistency_model import ConsistencyModel
from .preconditioning import EDMPreconditioner

OFFICIAL_EMA_DECAYS = (0.999, 0.9999, 0.9999432189950708)
TRAIN_ACCELERATIONS = {'channels_last', 'compile'}


def network_dtype(network: torch.nn.Module) -> torch.dtype:
    """The dtype a network's torso computes in (``use_fp16``: float16);
    float32 for networks that do not say (e.g. a diffusers UNet)."""
    return getattr(network, 'dtype', torch.float32)


def _checked_acceleration(options: Optional[dict]) -> dict:
    options = dict(options or {})
    unknown = set(options) - TRAIN_ACCELERATIONS
    if unknown:
        raise ValueError(f'unknown train_acceleration keys {sorted(unknown)}'
                         f'; known: {sorted(TRAIN_ACCELERATIONS)}')
    return options


def _keep_master_weights(unet: torch.nn.Module) -> None:
    """Float32 master weights for a ``use_fp16`` network (official fp16
    training): the optimizer, EMAs and target then hold float32."""
    if not hasattr(unet, 'keep_master_weights'):
        raise TypeError(f'use_fp16 training needs float32 master weights, '
                        f'which {type(unet).__name__} does not keep; use '
                        'ADMUNet')
    unet.keep_master_weights()


def current_iteration() -> int:
    """The runner's iteration (0 outside a runner)."""
    return int(MessageHub.get_current_instance().get_info('iter', 0) or 0)


class AveragedTrainer(ConsistencyModel):
    """Shared training plumbing: evaluation EMAs, checks, logging.

    Args:
        ema_decays: Decays of the evaluation EMAs of the online network.
        init_from: A checkpoint (official ``.pt`` or mmengine, EMA weights
            first) that the online network, its EMAs and the target start
            from, e.g. a diffusion model for easy consistency tuning.
        sample_with: ``'ema'`` (the last EMA, default) or ``'online'``: the
            weights that sample in :meth:`sample` and in validation.
        train_acceleration: ``dict(channels_last=..., compile=...)`` for the
            networks that train (online, target, teacher; see
            :meth:`accelerate_training`), e.g. from ``tools/train.py
            --compile --channels-last``. The evaluation EMAs stay eager.
        **kwargs: :class:`ConsistencyModel` arguments.
    """

    def __init__(self, *args,
                 ema_decays: Sequence[float] = OFFICIAL_EMA_DECAYS,
                 init_from: Optional[str] = None,
                 sample_with: str = 'ema',
                 train_acceleration: Optional[dict] = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.train_acceleration = _checked_acceleration(train_acceleration)
        if network_dtype(self.unet) != torch.float32:  # use_fp16 training
            _keep_master_weights(self.unet)
        if init_from:
            load_unet_into(self.unet, init_from)
        if sample_with not in ('ema', 'online'):
            raise ValueError(f'sample_with must be "ema" or "online", got '
                             f'{sample_with!r}')
        if sample_with == 'ema' and not ema_decays:
            raise ValueError('sample_with="ema" needs at least one EMA decay')
        self.sample_with = sample_with
        self.ema = EMANetworks(self.unet, ema_decays)
        self._register_load_state_dict_pre_hook(_drop_averaged_iter)

    TRAINING_ARGS = ('ema_decays', 'init_from', 'sample_with',
                     'train_acceleration')

    @classmethod
    def sampling_cfg_of(cls, model_cfg: dict) -> dict:
        """The :class:`ConsistencyModel` config that samples like this one.

        Training-only arguments are dropped; checkpoints of this trainer
        load into it with their EMA weights (see ``extract_unet_state_dict``).
        """
        cfg = {k: v for k, v in dict(model_cfg).items()
               if k not in cls.TRAINING_ARGS}
        cfg['type'] = 'ConsistencyModel'
        return cfg

    def build_objective(self, cfg: Optional[dict], default: str):
        """An objective from ``cfg`` (default ``dict(type=default)``) with
        this model's ``sigma_data``."""
        return MODELS.build(cfg or dict(type=default),
                            default_args=dict(sigma_data=self.sigma_data))

    def sampling_network(self) -> torch.nn.Module:
        if self.sample_with == 'ema':
            return self.ema.networks[-1]
        return self.unet

    def update_averages(self, step: int) -> None:
        """Update the EMAs after the optimizer step of iteration ``step``."""
        self.ema.update(self.unet)

    def training_networks(self) -> List[torch.nn.Module]:
        """The networks a training step runs: online, target, teacher."""
        names = ('unet', 'target_unet', 'teacher')
        return [getattr(self, n) for n in names
                if getattr(self, n, None) is not None]

    def accelerate_training(self) -> None:
        """Apply ``train_acceleration`` to :meth:`training_networks`;
        each trainer calls it once its networks exist. Channels-last keeps
        the parameters (its strides only), and in-place ``torch.compile``
        keeps the state-dict keys, so checkpoints, EMAs and the target
        update read the same tensors."""
        if not any(self.train_acceleration.values()):
            return
        for network in self.training_networks():
            if not hasattr(network, 'accelerate'):
                raise TypeError(f'{type(network).__name__} has no speed '
                                'options; train_acceleration needs an '
                                'Accelerable network (ADMUNet)')
            network.accelerate(**self.train_acceleration)

    def _check_finite(self, loss: torch.Tensor, step: int) -> None:
        """Stop on a non-finite loss, except in fp16 (autocast or the
        ``use_fp16`` torso): there the loss scaler of
        ``MixedPrecisionOptimWrapper`` skips the step instead (and the
        averages hook leaves the averages)."""
        device = loss.device.type
        if network_dtype(self.unet) == torch.float16 or (
                torch.is_autocast_enabled(device)
                and torch.get_autocast_dtype(device) == torch.float16):
            return
        if not torch.isfinite(loss):
            raise FloatingPointError(
                f'non-finite loss ({loss.item()}) at iteration {step}; the '
                'weights were not updated. Lower the learning rate or '
                'train with --amp fp16 (dynamic loss scaling skips such '
                'steps).')

    def _finish(self, per_sample: torch.Tensor, step: int, **logs) -> Dict:
        loss = per_sample.mean()
        self._check_finite(loss.detach(), step)
        logs = {k: torch.tensor(float(v)) for k, v in logs.items()}
        return dict(loss=loss, **logs)


class FrozenTeacherMixin:
    """A frozen teacher network: built from a config, loaded from its
    checkpoint, never in training mode, and kept out of checkpoints (the
    config references it)."""

    def _setup_teacher(self, teacher: Optional[dict]) -> None:
        """``self.teacher``: ``None``, or the network ``teacher`` describes
        (``unet``, ``checkpoint``, ``init_student``, ``dropout``), whose
        weights then also start the evaluation EMAs."""
        self.teacher = None
        if teacher is not None:
            self._load_teacher(**teacher)
            self.ema.reset(self.unet)
        self._register_state_dict_hook(_drop_teacher_keys)
        self.register_load_state_dict_post_hook(_ignore_missing_teacher)

    def _load_teacher(self, unet: Optional[dict] = None,
                      checkpoint: Optional[str] = None,
                      init_student: bool = True,
                      dropout: Optional[float] = None) -> None:
        unet_cfg = dict(unet or self._unet_cfg)
        if dropout is not None:
            unet_cfg['dropout'] = dropout
        self.teacher = MODELS.build(unet_cfg)
        if checkpoint:
            load_unet_into(self.teacher, checkpoint)
        self.teacher.requires_grad_(False).eval()
        if init_student:
            self.unet.load_state_dict(self.teacher.state_dict())

    def train(self, mode: bool = True):
        super().train(mode)
        if self.teacher is not None:
            self.teacher.eval()  # the official teacher never drops out
        return self


@MODELS.register_module()
class ConsistencyTrainer(FrozenTeacherMixin, AveragedTrainer):
    """Consistency distillation (with ``teacher``) or training (without).

    Args:
        objective: Config of the loss, ``ConsistencyObjective`` by default.
        curriculum: Config (``CURRICULA``) giving ``(mu(k), N(k))``.
        teacher: ``dict(unet=..., checkpoint=..., init_student=True)`` for
            CD: a frozen EDM denoiser (``unet`` defaults to the student's
            architecture); the student starts from its weights if
            ``init_student``. ``None`` trains from scratch (CT).
        **kwargs: :class:`AveragedTrainer` arguments.
    """

    TRAINING_ARGS = AveragedTrainer.TRAINING_ARGS + ('objective', 'curriculum',
                                                     'teacher')

    def __init__(self, *args, objective: Optional[dict] = None,
                 curriculum: Optional[dict] = None,
                 teacher: Optional[dict] = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.objective = self.build_objective(objective,
                                              'ConsistencyObjective')
        self.curriculum = CURRICULA.build(
            curriculum or dict(type='ConsistencyCurriculum'))
        self._setup_teacher(teacher)
        if self.teacher is not None:  # an EDM denoiser
            self.teacher_preconditioner = EDMPreconditioner(self.sigma_data,
                                                            self.sigma_min)
        self.target_unet = frozen_copy(self.unet)
        self.accelerate_training()

    def _teacher_denoiser(self, labels):
        if self.teacher is None:
            return None
        return partial(self.teacher_preconditioner, self.teacher,
                       **label_kwargs(labels))

    def loss(self, inputs: Dict, data_samples: Optional[List] = None):
        """The CD/CT loss of one batch at the runner's iteration."""
        step = current_iteration()
        target_ema_decay, num_scales = self.curriculum(step)
        labels = inputs.get('labels')
        per_sample = self.objective(
            online=partial(self.denoise, labels=labels, network=self.unet),
            target=partial(self.denoise, labels=labels,
                           network=self.target_unet),
            x_start=inputs['img'], num_scales=num_scales,
            sigma_min=self.sigma_min, sigma_max=self.sigma_max, rho=self.rho,
            teacher=self._teacher_denoiser(labels))
        return self._finish(per_sample, step, num_scales=num_scales,
                            target_ema_decay=target_ema_decay)

    def update_averages(self, step: int) -> None:
        """EMAs, then the target with ``mu(step)`` (official order)."""
        target_ema_decay, _ = self.curriculum(step)
        super().update_averages(step)
        update_average(self.target_unet, self.unet, target_ema_decay)


@MODELS.register_module()
class JointConsistencyTrainer(ConsistencyTrainer):
    """Consistency and diffusion training on one shared network.

    The UNet needs ``diffusion_head=True``: its ``out`` layer is the
    consistency function's, ``diffusion_out`` an EDM denoiser's, both on one
    torso. The loss is ``L_CT (or L_CD) + diffusion_weight * L_EDM``: the
    denoising task regularises the shared features. Both heads sample from
    one checkpoint (``unet.output_head='diffusion'`` with an
    ``EDMPreconditioner`` for the diffusion head).

    Args:
        diffusion_objective: Config of the denoising loss,
            ``EDMObjective`` by default.
        diffusion_weight: Weight of the denoising loss.
        **kwargs: :class:`ConsistencyTrainer` arguments.
    """

    TRAINING_ARGS = ConsistencyTrainer.TRAINING_ARGS + (
        'diffusion_objective', 'diffusion_weight')

    def __init__(self, *args, diffusion_objective: Optional[dict] = None,
                 diffusion_weight: float = 1.0, **kwargs):
        super().__init__(*args, **kwargs)
        if not hasattr(self.unet, 'diffusion_out'):
            raise ValueError('joint training needs a network with a '
                             'diffusion head: set unet.diffusion_head=True')
        self.diffusion_objective = self.build_objective(diffusion_objective,
                                                        'EDMObjective')
        self.diffusion_preconditioner = EDMPreconditioner(
            self.sigma_data, self.sigma_min)
        self.diffusion_weight = float(diffusion_weight)

    def loss(self, inputs: Dict, data_samples: Optional[List] = None):
        """Consistency loss plus the weighted denoising loss."""
        losses = super().loss(inputs, data_samples)
        denoiser = partial(self.diffusion_preconditioner,
                           partial(self.unet, head='diffusion'),
                           **label_kwargs(inputs.get('labels')))
        diffusion = self.diffusion_objective(denoiser, inputs['img']).mean()
        losses['loss_consistency'] = losses['loss'].detach()
        losses['loss_diffusion'] = diffusion.detach()
        losses['loss'] = losses['loss'] + self.diffusion_weight * diffusion
        self._check_finite(losses['loss'].detach(), current_iteration())
        return losses


@MODELS.register_module()
class EDMTrainer(AveragedTrainer):
    """Train an EDM denoiser (a CD teacher) with ``EDMObjective``."""

    TRAINING_ARGS = AveragedTrainer.TRAINING_ARGS + ('objective', )

    @classmethod
    def sampling_cfg_of(cls, model_cfg: dict) -> dict:
        cfg = super().sampling_cfg_of(model_cfg)
        cfg.setdefault('preconditioner', dict(type='EDMPreconditioner'))
        return cfg

    def __init__(self, *args, objective: Optional[dict] = None, **kwargs):
        kwargs.setdefault('preconditioner', dict(type='EDMPreconditioner'))
        super().__init__(*args, **kwargs)
        self.objective = self.build_objective(objective, 'EDMObjective')
        self.accelerate_training()

    def loss(self, inputs: Dict, data_samples: Optional[List] = None):
        step = current_iteration()
        labels = inputs.get('labels')
        per_sample = self.objective(
            partial(self.denoise, labels=labels, network=self.unet),
            inputs['img'])
        return self._finish(per_sample, step)


def _drop_teacher_keys(module, state_dict, prefix, local_metadata):
    """Checkpoints reference the teacher through the config, not weights."""
    for key in [k for k in state_dict if k.startswith(prefix + 'teacher.')]:
        del state_dict[key]


def _ignore_missing_teacher(module, incompatible_keys) -> None:
    missing = incompatible_keys.missing_keys
    missing[:] = [k for k in missing if not k.startswith('teacher.')]


def _drop_averaged_iter(state_dict, prefix, *args) -> None:
    """Checkpoints written before the averages hook became their only
    owner hold an ``averaged_iter`` buffer; it carries nothing now."""
    state_dict.pop(prefix + 'averaged_iter', None)
