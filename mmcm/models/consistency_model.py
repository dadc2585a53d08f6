"""Consistency model (Song et al., 2023) as an mmengine ``BaseModel``."""
import copy
from functools import partial
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.model import BaseModel

from mmcm.registry import MODELS
from mmcm.utils.functional import index_list, label_kwargs
from .averaging import update_average
from .data_samples import pack_data_samples
from .labels import resolve_labels
from .objectives import TrainingNetworks
from .sampling import build_generator, get_sampler, sampler_sigmas
from .training import (TrainingBlock, check_finite, current_iteration,
                       drop_averaged_iter, drop_teacher_keys,
                       ignore_missing_teacher)

DEFAULT_SAMPLING_CFG = dict(
    sampler='onestep',
    steps=40,
    ts=None,
    clip_denoised=True,
    generator='determ',
    seed=42,
    s_churn=0.0,
    s_tmin=0.0,
    s_tmax=float('inf'),
    s_noise=1.0,
)


@MODELS.register_module()
class ConsistencyModel(BaseModel):
    """A network wrapped by a parameterisation as a consistency function
    (or a diffusion denoiser), with an optional training block.

    Args:
        network: Config of the network ``F``, e.g. ``dict(type='ADMUNet',
            ...)``. It is the ``unet`` attribute, the key of its weights in
            every checkpoint.
        parameterisation: Config of the parameterisation, which owns the
            noise range, ``sigma_data``, ``rho`` and the scalings:
            ``ConsistencyParameterisation`` (default; boundary condition),
            ``EDMParameterisation`` (EDM teachers, ECT),
            ``TrigFlowParameterisation`` (sCM) or
            ``MeanFlowParameterisation`` (MeanFlow).
        training: ``None`` (a model that samples) or the arguments of
            :class:`~mmcm.models.training.TrainingBlock`: ``objective``,
            ``curriculum``, ``teacher``, ``averages``, ``init_from``,
            ``log_variance``, ``acceleration``.
        sampling_cfg: Defaults for :meth:`sample`; keys of
            :data:`DEFAULT_SAMPLING_CFG`.
        data_preprocessor: Config of the data preprocessor.
        **legacy_keys: Keys of the earlier layout (``unet``,
            ``preconditioner``, ``sigma_min`` ... and the training keys at
            the top level), moved to their places with a warning that
            names the new key (:func:`~mmcm.models.legacy.upgrade_config`).
    """

    def __init__(self,
                 network: Optional[dict] = None,
                 parameterisation: Optional[dict] = None,
                 training: Optional[dict] = None,
                 sampling_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None,
                 **legacy_keys):
        if legacy_keys:
            from .legacy import upgrade_config
            cfg = upgrade_config(dict(network=network,
                                      parameterisation=parameterisation,
                                      training=training, **legacy_keys))
            unknown = set(cfg) - {'type', 'network', 'parameterisation',
                                  'training'}
            if unknown:
                raise TypeError(f'unknown ConsistencyModel keys '
                                f'{sorted(unknown)}')
            network, parameterisation = cfg['network'], cfg['parameterisation']
            training = cfg['training']
        if network is None:
            raise ValueError('ConsistencyModel needs a network config')
        if data_preprocessor is None:
            data_preprocessor = dict(type='ConsistencyDataPreprocessor')
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self.network_cfg = copy.deepcopy(network)
        self.unet = MODELS.build(network)
        self.parameterisation = MODELS.build(
            parameterisation or dict(type='ConsistencyParameterisation'))
        self.sampling_cfg = self.merge_sampling_cfg(sampling_cfg or {})
        self.training_block = None
        self.teacher = self.log_variance = None
        if training is not None:
            self.training_block = TrainingBlock(self, **training)
            self.accelerate_training()
        self._register_state_dict_hook(drop_teacher_keys)
        self.register_load_state_dict_post_hook(ignore_missing_teacher)
        self._register_load_state_dict_pre_hook(drop_averaged_iter)

    @property
    def network(self) -> torch.nn.Module:
        """The online network ``F`` (the ``unet`` attribute)."""
        return self.unet

    @property
    def num_classes(self) -> Optional[int]:
        return self.unet.num_classes

    @property
    def image_shape(self) -> tuple:
        return (self.unet.in_channels, self.unet.image_size,
                self.unet.image_size)

    @property
    def latent_space(self) -> bool:
        """Whether the network works on a VAE's latents (the data
        preprocessor's ``latents``) rather than on pixels."""
        return getattr(self.data_preprocessor, 'latents', None) is not None

    def merge_sampling_cfg(self, overrides: dict) -> dict:
        """Defaults updated by ``overrides`` (``None`` values are ignored)."""
        base = copy.deepcopy(getattr(self, 'sampling_cfg',
                                     DEFAULT_SAMPLING_CFG))
        unknown = set(overrides) - set(DEFAULT_SAMPLING_CFG)
        if unknown:
            raise ValueError(f'unknown sampling options {sorted(unknown)}; '
                             f'known: {sorted(DEFAULT_SAMPLING_CFG)}')
        base.update({k: v for k, v in overrides.items() if v is not None})
        return base

    def sampling_network(self) -> torch.nn.Module:
        """The network that generates: the online one, or the last EMA if
        the training block samples with it."""
        block = self.training_block
        if block is not None and block.sample_with == 'ema':
            return self.ema.networks[-1]
        return self.unet

    def denoise(self, x: torch.Tensor, sigma: torch.Tensor,
                labels: Optional[torch.Tensor] = None,
                clip_denoised: bool = False,
                network: Optional[torch.nn.Module] = None) -> torch.Tensor:
        """``f(x, sigma)``: the denoised estimate, clipped to [-1, 1] if asked.

        ``network`` defaults to :meth:`sampling_network`.
        """
        network = network or self.sampling_network()
        denoised = self.parameterisation(network, x, sigma,
                                         **label_kwargs(labels))
        return denoised.clamp(-1, 1) if clip_denoised else denoised

    @torch.no_grad()
    def sample(self,
               batch_size: int,
               labels: Optional[torch.Tensor] = None,
               noise_generator=None,
               progress: bool = False,
               **overrides) -> torch.Tensor:
        """Generate ``batch_size`` images in [-1, 1] with the sampler.

        Follows the official ``karras_sample``: ``x_T = sigma_max * z`` drawn
        from ``generator``, then the sampler, then clipping to [-1, 1].
        A latent-space model (:attr:`latent_space`) returns its normalised
        latents unclipped (``clip_denoised`` does not apply either).

        Args:
            batch_size: Number of images.
            labels: Class labels ``(batch_size,)`` for conditional models.
            noise_generator: A generator from :func:`build_generator`;
                defaults to the configured one, for this batch alone.
            progress: Show a progress bar over sampler steps.
            **overrides: Any key of :data:`DEFAULT_SAMPLING_CFG`.
        """
        cfg = self.merge_sampling_cfg(overrides)
        generator = noise_generator or build_generator(
            cfg['generator'], batch_size, cfg['seed'])
        device = next(self.sampling_network().parameters()).device
        if labels is not None:
            labels = labels.to(device)
        p = self.parameterisation
        x_T = generator.randn(batch_size, *self.image_shape,
                              device=device) * p.sigma_max
        sigmas = sampler_sigmas(cfg['sampler'], cfg['steps'], p.sigma_min,
                                p.sigma_max, p.rho, cfg['ts'],
                                device=device)

        clip = cfg['clip_denoised'] and not self.latent_space

        def denoiser(x, sigma):
            return self.denoise(x, sigma, labels, clip)

        sampler = get_sampler(cfg['sampler'])
        x_0 = sampler(denoiser, x_T, sigmas, generator, progress=progress,
                      **self._sampler_options(cfg, labels))
        return x_0 if self.latent_space else x_0.clamp(-1, 1)

    @torch.no_grad()
    def generate(self, indices: Sequence[int], num_samples: int,
                 labels: Optional[torch.Tensor] = None,
                 generator: Optional[str] = None, **overrides) -> torch.Tensor:
        """Images in [-1, 1] of the samples ``indices`` of a run of
        ``num_samples``: the generation path of every tool and loop.

        Sample ``i``'s noise comes from ``generator`` (default: the
        configured one) seeded by ``seed``, so with ``determ`` and
        ``determ-indiv`` it depends on the seed and ``i`` alone, never on
        the batch, the process or the device. A latent-space model's
        samples are decoded to images by its data preprocessor's VAE
        (:meth:`~mmcm.models.ConsistencyDataPreprocessor.decode_samples`).

        Args:
            indices: Global indices of the samples of this batch.
            num_samples: Size of the whole run.
            labels: One class label per index (conditional models).
            generator: Name of the noise generator.
            **overrides: ``progress`` and keys of
                :data:`DEFAULT_SAMPLING_CFG`.
        """
        indices = [int(i) for i in indices]
        progress = overrides.pop('progress', False)
        cfg = self.merge_sampling_cfg(dict(overrides, generator=generator))
        noise = build_generator(cfg['generator'], num_samples,
                                cfg['seed']).select(indices)
        samples = self.sample(len(indices), labels=labels,
                              noise_generator=noise, progress=progress,
                              **overrides)
        if not self.latent_space:
            return samples
        return self.data_preprocessor.decode_samples(samples)

    def _sampler_options(self, cfg: dict,
                         labels: Optional[torch.Tensor]) -> dict:
        name = cfg['sampler']
        if name == 'multistep':
            return dict(sigma_min=self.parameterisation.sigma_min)
        if name == 'meanflow':
            jump = getattr(self.parameterisation, 'jump', None)
            return dict(jump=jump and partial(
                jump, self.sampling_network(), **label_kwargs(labels)))
        if name == 'heun':
            return {k: cfg[k] for k in ('s_churn', 's_tmin', 's_tmax',
                                        's_noise')}
        return {}

    def forward(self,
                inputs: Optional[Dict] = None,
                data_samples: Optional[List] = None,
                mode: str = 'predict'):
        """Generation entry point of the mmengine interface.

        ``mode='tensor'`` returns samples in [-1, 1]; ``mode='predict'``
        returns data samples (:func:`~mmcm.models.data_samples.
        pack_data_samples`) with ``fake_img`` in [0, 255] (and ``gt_label``
        for conditional models). ``inputs`` is a
        dict that names what to draw, in one of two ways, with ``labels``,
        ``progress`` and any sampling option beside it:

        - ``sample_index`` (and ``num_samples``), as the items of
          :class:`~mmcm.datasets.GenerationDataset`: one image per global
          sample index, from that index's own noise (the ``determ-indiv``
          stream), whatever the batch;
        - ``num_batches``: that many images from the configured generator.

        ``mode='loss'`` is :meth:`loss` (a model with a training block).
        """
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode not in ('tensor', 'predict'):
            raise ValueError(f'unknown mode {mode!r}; use "loss", "tensor" '
                             'or "predict"')
        if not isinstance(inputs, dict) and inputs is not None:
            raise TypeError('generation inputs must be a dict with '
                            '"sample_index" or "num_batches", got '
                            f'{type(inputs).__name__}')
        options = dict(inputs or {})
        indices = index_list(options.pop('sample_index', None))
        total = index_list(options.pop('num_samples', None))
        num_batches = int(options.pop('num_batches', 1))
        by_index = indices is not None
        if not by_index:
            indices, total = list(range(num_batches)), num_batches
        else:
            # Each index needs only its own stream: O(1) per sample in
            # runs of any size, where determ would draw the whole run.
            options['generator'] = 'determ-indiv'
            total = total[0] if total else max(indices) + 1
        labels = resolve_labels(self.num_classes, len(indices),
                                options.pop('labels', None))
        images = self.generate(indices, total, labels, **options)
        if mode == 'tensor':
            return images
        return pack_data_samples(images, labels,
                                 indices if by_index else None)

    def loss(self, inputs: Dict, data_samples: Optional[List] = None):
        """The objective's loss of one batch at the runner's iteration,
        with what it and the curriculum log."""
        block = self._block()
        step = block.step(current_iteration())
        # EDM2's forced weight normalisation, once a step, before the
        # forward passes (none of which may mutate the weights).
        normalize = getattr(self.unet, 'force_weight_normalization_', None)
        if normalize is not None:
            normalize()
        networks = TrainingNetworks(
            online=self.unet, target=getattr(self, 'target_unet', None),
            teacher=self.teacher, log_variance=self.log_variance)
        per_sample, logs = block.objective(inputs, networks,
                                           self.parameterisation, step)
        loss = per_sample.mean()
        check_finite(loss.detach(), self.unet, step.iteration)
        logs = dict(block.logs(step), **logs)
        return dict(loss=loss, **{k: _log_value(v) for k, v in logs.items()})

    def update_averages(self, step: int) -> None:
        """After the optimizer step of iteration ``step``: the EMAs, then
        the target with the curriculum's ``mu(step)`` (official order)."""
        block = self._block()
        self.ema.update(self.unet)
        target = getattr(self, 'target_unet', None)
        if target is not None:
            decay = block.step(step).target_ema_decay
            update_average(target, self.unet, decay)

    def training_networks(self) -> List[torch.nn.Module]:
        """The networks a training step runs: online, target, teacher."""
        networks = [self.unet, getattr(self, 'target_unet', None),
                    self.teacher]
        return [n for n in networks if n is not None]

    def averaged_networks(self) -> List[torch.nn.Module]:
        """The evaluation EMAs of the online network (none when sampling)."""
        ema = getattr(self, 'ema', None)
        return [] if ema is None else list(ema.networks)

    def accelerate_training(self) -> None:
        """Apply the training block's ``acceleration`` to
        :meth:`training_networks`. Channels-last keeps the parameters (its
        strides only), and in-place ``torch.compile`` keeps the state-dict
        keys, so checkpoints, EMAs and the target update read the same
        tensors. The evaluation EMAs stay eager."""
        options = self._block().acceleration
        if not any(options.values()):
            return
        for network in self.training_networks():
            if not hasattr(network, 'accelerate'):
                raise TypeError(f'{type(network).__name__} has no speed '
                                'options; training.acceleration needs an '
                                'Accelerable network (ADMUNet)')
            network.accelerate(**options)

    def train(self, mode: bool = True):
        super().train(mode)
        if self.teacher is not None:
            self.teacher.eval()  # the official teacher never drops out
        return self

    def _block(self) -> TrainingBlock:
        if self.training_block is None:
            raise ValueError('this model samples only: give it a training '
                             'block (model.training = dict(objective=...))')
        return self.training_block


def _log_value(value) -> torch.Tensor:
    """A scalar to log: a tensor stays where it is (no device sync)."""
    if torch.is_tensor(value):
        return value.detach()
    return torch.tensor(float(value))


__all__ = ['ConsistencyModel', 'DEFAULT_SAMPLING_CFG']
