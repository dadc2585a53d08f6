"""Zero-shot editing and interpolation with a consistency model."""
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

import numpy as np
import torch

from mmcm.models.editing import (EDIT_TASKS, Colorization, EditOperator,
                                 Inpainting, StrokeGuidance, SuperResolution,
                                 edit_multistep, slerp)
from mmcm.models.labels import resolve_labels
from mmcm.models.sampling import (FixedNoiseGenerator, build_generator,
                                  validate_ts)
from mmcm.utils.functional import to_uint8_nhwc
from .edit_inputs import (ImageInput, images_to_tensor, infer_factor,
                          mask_to_tensor, match_channels, match_size)

#: Karras-grid indices per task (``steps=40``): five consistency steps at
#: sigma 80, 32.7, 11.7, 3.5, 0.82; stroke guidance starts at an
#: intermediate level (sigma 11.7) so that the painting's layout survives.
DEFAULT_EDIT_STEPS = 40
DEFAULT_EDIT_TS = {
    'inpaint': (0, 6, 12, 18, 24, 39),
    'colorize': (0, 6, 12, 18, 24, 39),
    'superres': (0, 6, 12, 18, 24, 39),
    'stroke': (12, 18, 24, 39),
}


@dataclass
class EditResult:
    """Edited images and what the model was given.

    Attributes:
        images: uint8 ``(N, H, W, C)`` results.
        observations: uint8 ``(N, H, W, C)``: the kept part of each input
            (masked image, luminance, patch means, or the painting).
        tensor: The results as float ``(N, C, H, W)``, in [-1, 1] up to the
            projection: they meet the task's constraint exactly.
        labels: Class labels used (``None`` for unconditional models).
    """

    images: np.ndarray
    observations: np.ndarray
    tensor: torch.Tensor
    labels: Optional[np.ndarray]


def edit_images(model,
                task: str,
                images: ImageInput,
                mask=None,
                factor: Optional[int] = None,
                class_labels: Optional[Sequence[int]] = None,
                seed: Optional[int] = None,
                steps: Optional[int] = None,
                ts: Optional[Sequence[int]] = None,
                progress: bool = False) -> EditResult:
    """Edit ``images`` with multistep consistency sampling (Algorithm 4).

    Args:
        model: A :class:`~mmcm.models.ConsistencyModel`.
        task: ``'inpaint'``, ``'colorize'``, ``'superres'`` or ``'stroke'``.
        images: uint8 ``(H, W[, C])`` images (a list or ``(N, H, W, C)``)
            or a float ``(N, C, H, W)`` tensor in [-1, 1]. ``colorize``
            also takes grayscale; ``superres`` also takes ``size / factor``
            images.
        mask: ``inpaint`` only: ``(H, W)`` or ``(N, H, W)``, nonzero where
            pixels are generated.
        factor: ``superres`` only: patch size whose means are kept
            (default: implied by a low-resolution input).
        class_labels: One label or one per image (conditional models);
            default seeded random labels.
        seed: Noise seed (default: the model's sampling seed).
        steps, ts: Karras grid and its indices, as for multistep sampling;
            defaults :data:`DEFAULT_EDIT_STEPS`, :data:`DEFAULT_EDIT_TS`.
    """
    reference, operator = prepare_edit(model, task, images, mask, factor)
    cfg = model.merge_sampling_cfg(dict(seed=seed))
    steps = steps or DEFAULT_EDIT_STEPS
    ts = validate_ts(ts or DEFAULT_EDIT_TS[task], steps)
    num = reference.shape[0]
    labels = resolve_labels(model.num_classes, num, class_labels, cfg['seed'])
    device = _device(model)
    reference = reference.to(device)
    device_labels = None if labels is None else labels.to(device)

    def denoiser(x, sigma):
        return model.denoise(x, sigma, device_labels, cfg['clip_denoised'])

    generator = build_generator(_seeded(cfg['generator']), num, cfg['seed'])
    result = edit_multistep(denoiser, reference, operator, generator, ts,
                            steps, model.parameterisation, progress=progress)
    # Rounded, so that a kept input pixel p (p / 127.5 - 1) comes back as
    # p exactly, which truncation does not promise.
    return EditResult(images=to_uint8_nhwc(result, rounded=True),
                      observations=to_uint8_nhwc(
                          operator.observation(reference), rounded=True),
                      tensor=result.cpu(),
                      labels=None if labels is None else labels.numpy())


def refuse_latent_space(model) -> None:
    """Editing and interpolation work on pixels: a latent model's samples
    are latents, which its projections and outputs do not decode."""
    if getattr(model, 'latent_space', False):
        raise ValueError('editing and interpolation need a pixel-space '
                         'model; this one generates latents')


def prepare_edit(model, task: str, images: ImageInput, mask=None,
                 factor: Optional[int] = None
                 ) -> Tuple[torch.Tensor, EditOperator]:
    """Check the inputs of ``task`` against ``model``; return the reference
    images (float NCHW in [-1, 1]) and the task's projection."""
    refuse_latent_space(model)
    if task not in EDIT_TASKS:
        raise ValueError(f'unsupported editing task {task!r}; choose one of '
                         f'{", ".join(EDIT_TASKS)} (or interpolate)')
    channels, image_size, _ = model.image_shape
    if task == 'colorize' and channels != 3:
        raise ValueError(f'colorize needs an RGB model; this one makes '
                         f'{channels}-channel images')
    if mask is not None and task != 'inpaint':
        raise ValueError(f'a mask is for inpaint, not {task}')
    if factor is not None and task != 'superres':
        raise ValueError(f'a factor is for superres, not {task}')
    reference = images_to_tensor(images)
    if task == 'superres':
        factor = infer_factor(reference, image_size, factor)
        if factor is None:
            raise ValueError('superres needs a factor (or images smaller '
                             'than the model size by an integer factor)')
    reference = match_size(match_channels(reference, channels, task),
                           image_size, task, factor)
    return reference, _operator(task, mask, factor, reference)


def _operator(task: str, mask, factor, reference) -> EditOperator:
    if task == 'inpaint':
        num, _, size, _ = reference.shape
        return Inpainting(mask_to_tensor(mask, num, size))
    if task == 'superres':
        operator = SuperResolution(factor)
        operator.check_size(*reference.shape[-2:])
        return operator
    return Colorization() if task == 'colorize' else StrokeGuidance()


@dataclass
class InterpolationResult:
    """Frames between two noises, decoded in one step.

    Attributes:
        images: uint8 ``(F, H, W, C)`` frames.
        alphas: The interpolation weights, ``0`` to ``1``.
        tensor: The frames as float ``(F, C, H, W)`` in [-1, 1].
        labels: The class label of every frame (``None`` if unconditional).
    """

    images: np.ndarray
    alphas: np.ndarray
    tensor: torch.Tensor
    labels: Optional[np.ndarray]


def interpolate(model,
                seeds: Tuple[int, int] = (0, 1),
                num_frames: int = 8,
                class_label: Optional[int] = None) -> InterpolationResult:
    """One-step samples along the spherical path between two noises.

    The endpoint of seed ``s`` is the noise (and image) that
    ``model.sample(1, seed=s)`` draws, i.e. ``tools/sample.py
    --num-samples 1 --seed s``.
    """
    refuse_latent_space(model)
    if num_frames < 2:
        raise ValueError(f'num_frames must be at least 2, got {num_frames}')
    if len(seeds) != 2:
        raise ValueError(f'give two seeds, got {list(seeds)}')
    cfg = model.merge_sampling_cfg({})
    z0, z1 = (endpoint_noise(model, seed, cfg['generator'])
              for seed in seeds)
    alphas = np.linspace(0, 1, num_frames)
    noise = torch.cat([slerp(z0, z1, float(a)) for a in alphas])
    labels = resolve_labels(
        model.num_classes, num_frames,
        None if class_label is None else [class_label], seeds[0])
    if labels is not None and class_label is None:
        labels = labels[:1].expand(num_frames).clone()
    frames = model.sample(num_frames, labels=labels, sampler='onestep',
                          noise_generator=FixedNoiseGenerator(noise))
    return InterpolationResult(
        images=to_uint8_nhwc(frames),
        alphas=alphas, tensor=frames.cpu(),
        labels=None if labels is None else labels.numpy())


def endpoint_noise(model, seed: int, generator: str) -> torch.Tensor:
    """The unit noise ``(1, C, H, W)`` of a one-image run with ``seed``."""
    return build_generator(_seeded(generator), 1, seed).randn(
        1, *model.image_shape)


def _seeded(generator: str) -> str:
    """Editing needs reproducible noise: ``dummy`` becomes ``determ``."""
    return 'determ' if generator == 'dummy' else generator


def _device(model) -> torch.device:
    return next(model.sampling_network().parameters()).device
