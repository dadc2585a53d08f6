"""Consistency model (Song et al., 2023) as an mmengine ``BaseModel``."""
import copy
from typing import Dict, List, Optional, Union

import torch
from mmengine.model import BaseModel

from mmcm.registry import MODELS
from .schedulers import (SampleIndexGenerator, build_generator, get_sampler,
                         karras_sigmas, validate_ts)

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
    """A UNet wrapped as a consistency function (or an EDM denoiser).

    Args:
        unet: Config of the network ``F``, e.g. ``dict(type='ADMUNet', ...)``.
        preconditioner: Config of the parameterisation:
            ``ConsistencyPreconditioner`` (boundary condition) for CD/CT
            models, ``EDMPreconditioner`` for EDM teachers. ``sigma_data``
            and ``sigma_min`` are filled in from this model's arguments.
        sigma_min: Smallest noise level of the grid (epsilon in the paper).
        sigma_max: Largest noise level (T in the paper).
        sigma_data: Standard deviation of the data.
        rho: Exponent of the Karras grid.
        sampling_cfg: Defaults for :meth:`sample`; keys of
            :data:`DEFAULT_SAMPLING_CFG`.
        data_preprocessor: Config of the data preprocessor.
    """

    def __init__(self,
                 unet: dict,
                 preconditioner: Optional[dict] = None,
                 sigma_min: float = 0.002,
                 sigma_max: float = 80.0,
                 sigma_data: float = 0.5,
                 rho: float = 7.0,
                 sampling_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        if data_preprocessor is None:
            data_preprocessor = dict(type='ConsistencyDataPreprocessor')
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self._unet_cfg = copy.deepcopy(unet)
        self.unet = MODELS.build(unet)
        self.preconditioner = MODELS.build(
            preconditioner or dict(type='ConsistencyPreconditioner'),
            default_args=dict(sigma_data=sigma_data, sigma_min=sigma_min))
        self.sigma_min = sigma_min
        self.sigma_max = sigma_max
        self.sigma_data = sigma_data
        self.rho = rho
        self.sampling_cfg = self.merge_sampling_cfg(sampling_cfg or {})

    @property
    def num_classes(self) -> Optional[int]:
        return self.unet.num_classes

    @property
    def image_shape(self) -> tuple:
        return (self.unet.in_channels, self.unet.image_size,
                self.unet.image_size)

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
        """The network that generates: the UNet (trainers pick an EMA)."""
        return self.unet

    def denoise(self, x: torch.Tensor, sigma: torch.Tensor,
                labels: Optional[torch.Tensor] = None,
                clip_denoised: bool = False,
                network: Optional[torch.nn.Module] = None) -> torch.Tensor:
        """``f(x, sigma)``: the denoised estimate, clipped to [-1, 1] if asked.

        ``network`` defaults to :meth:`sampling_network`.
        """
        network = network or self.sampling_network()
        kwargs = {} if labels is None else dict(y=labels)
        denoised = self.preconditioner(network, x, sigma, **kwargs)
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
        x_T = generator.randn(batch_size, *self.image_shape,
                              device=device) * self.sigma_max
        sigmas = karras_sigmas(cfg['steps'], self.sigma_min, self.sigma_max,
                               self.rho, device=device)

        def denoiser(x, sigma):
            return self.denoise(x, sigma, labels, cfg['clip_denoised'])

        sampler = get_sampler(cfg['sampler'])
        x_0 = sampler(denoiser, x_T, sigmas, generator, progress=progress,
                      **self._sampler_options(cfg))
        return x_0.clamp(-1, 1)

    def _sampler_options(self, cfg: dict) -> dict:
        name = cfg['sampler']
        if name == 'multistep':
            return dict(ts=validate_ts(cfg['ts'], cfg['steps']),
                        steps=cfg['steps'], sigma_min=self.sigma_min,
                        sigma_max=self.sigma_max, rho=self.rho)
        if name == 'heun':
            return {k: cfg[k] for k in ('s_churn', 's_tmin', 's_tmax',
                                        's_noise')}
        return {}

    def forward(self,
                inputs: Union[Dict, torch.Tensor, None] = None,
                data_samples: Optional[List] = None,
                mode: str = 'predict'):
        """Generation entry point of the mmengine interface.

        ``mode='tensor'`` returns samples in [-1, 1]; ``mode='predict'``
        returns mmagic ``DataSample``s with ``fake_img`` in [0, 255] (and
        ``gt_label`` for conditional models). ``inputs`` may hold
        ``num_batches``, ``labels``, ``progress`` and any sampling option;
        or ``sample_index`` (and ``num_samples``) instead of
        ``num_batches``, as :class:`~mmcm.datasets.GenerationDataset`
        items do: one image per index, with that index's own noise. Training
        (``mode='loss'``) is provided by the training subclasses.
        """
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode not in ('tensor', 'predict'):
            raise ValueError(f'unknown mode {mode!r}; use "loss", "tensor" '
                             'or "predict"')
        options = dict(inputs or {}) if not torch.is_tensor(inputs) else {}
        indices = _index_list(options.pop('sample_index', None))
        total = options.pop('num_samples', None)
        num = int(options.pop('num_batches', 1))
        if indices is not None:
            num = len(indices)
            options['noise_generator'] = self._index_generator(
                indices, total, options.get('seed'))
        labels = self._labels_tensor(options.pop('labels', None), num)
        images = self.sample(num, labels=labels, **options)
        if mode == 'tensor':
            return images
        return self._pack_data_samples(images, labels, indices)

    def _index_generator(self, indices: List[int], total,
                         seed: Optional[int]) -> SampleIndexGenerator:
        """Noise of the given sample indices (see ``GenerationDataset``)."""
        total = _index_list(total)
        total = total[0] if total else max(indices) + 1
        seed = self.merge_sampling_cfg(dict(seed=seed))['seed']
        return SampleIndexGenerator(indices, total, seed)

    def loss(self, inputs: Dict, data_samples: Optional[List] = None):
        """Training losses; this class samples only."""
        raise ValueError(f'{type(self).__name__} samples only; train with '
                         'ConsistencyTrainer (CD/CT) or EDMTrainer')

    def _labels_tensor(self, labels, num: int) -> Optional[torch.Tensor]:
        if self.num_classes is None:
            if labels is not None:
                raise ValueError('this model is unconditional; do not pass '
                                 'class labels')
            return None
        if labels is None:
            return torch.randint(0, self.num_classes, (num, ))
        return expand_labels(labels, num, self.num_classes)

    def _pack_data_samples(self, images: torch.Tensor,
                           labels: Optional[torch.Tensor],
                           indices: Optional[List[int]] = None) -> list:
        from mmagic.structures import DataSample
        pixels = self.data_preprocessor.destruct(images).cpu()
        samples = []
        for i, image in enumerate(pixels):
            sample = DataSample(fake_img=image)
            if labels is not None:
                sample.set_gt_label(labels[i].cpu())
            if indices is not None:
                sample.set_metainfo(dict(sample_index=indices[i]))
            samples.append(sample)
        return samples


def _index_list(values) -> Optional[List[int]]:
    """Collated indices (list, tensor or int) as a list of ints."""
    if values is None:
        return None
    if torch.is_tensor(values):
        return [int(v) for v in values.reshape(-1)]
    if isinstance(values, (list, tuple)):
        return [int(v) for v in values]
    return [int(values)]


def expand_labels(labels, num: int, num_classes: int) -> torch.Tensor:
    """``num`` int64 labels from one label (repeated) or one per sample."""
    labels = torch.as_tensor(labels, dtype=torch.long).reshape(-1)
    if labels.numel() == 1:
        labels = labels.expand(num).clone()
    check_labels(labels, num_classes, num)
    return labels


def check_labels(labels: torch.Tensor, num_classes: int,
                 num: Optional[int] = None) -> None:
    """Raise a clear error for labels out of range or of the wrong count."""
    if num is not None and labels.numel() != num:
        raise ValueError(f'got {labels.numel()} class labels for {num} '
                         'samples; give one label or one per sample')
    if labels.numel() and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f'class labels must lie in [0, {num_classes - 1}], '
                         f'got {labels.tolist()}')


__all__ = [
    'ConsistencyModel', 'DEFAULT_SAMPLING_CFG', 'check_labels', 'expand_labels'
]
