"""Small tensor helpers shared by every layer: one definition each.

Shapes, per-sample means, the RNG replay of dropout masks, the TrigFlow
time of an EDM noise level, image conversions
between uint8 pixels and the model's [-1, 1] range (both ways), class-label
keywords and the precision names of the command-line tools.
"""
import contextlib
from typing import Callable, Optional, Sequence, Union

import numpy as np
import torch

DTYPES = {'fp32': torch.float32, 'fp16': torch.float16,
          'bf16': torch.bfloat16}
AUTOCAST_DTYPES = {'fp16': torch.float16, 'bf16': torch.bfloat16}


def append_dims(x: torch.Tensor, target_dims: int) -> torch.Tensor:
    """Append trailing singleton dimensions until ``x`` has ``target_dims``."""
    if x.ndim > target_dims:
        raise ValueError(f'input has {x.ndim} dims, more than {target_dims}')
    return x[(...,) + (None,) * (target_dims - x.ndim)]


def mean_flat(x: torch.Tensor) -> torch.Tensor:
    """Mean over all dimensions but the first (batch) one."""
    return x.mean(dim=tuple(range(1, x.ndim)))


def rng_state(device: Union[str, torch.device]) -> tuple:
    """CPU (and, on GPU, CUDA) RNG state, to replay dropout masks."""
    cuda = (torch.cuda.get_rng_state(device)
            if torch.device(device).type == 'cuda' else None)
    return torch.get_rng_state(), cuda, device


def set_rng_state(state: tuple) -> None:
    """Restore a state of :func:`rng_state`."""
    cpu, cuda, device = state
    torch.set_rng_state(cpu)
    if cuda is not None:
        torch.cuda.set_rng_state(cuda, device)


def with_shared_dropout(device, first: Callable, second: Callable):
    """``(first(), second())`` with the RNG state replayed between them, so
    that both draw the same dropout masks (the official CD/CT runs the
    online and the target network on one dropout RNG)."""
    state = rng_state(device)
    first_output = first()
    set_rng_state(state)
    return first_output, second()


@contextlib.contextmanager
def training_mode(module: Optional[torch.nn.Module], mode: bool):
    """Run ``module`` in ``train(mode)`` for the block, then restore it."""
    if module is None:
        yield
        return
    previous = module.training
    module.train(mode)
    try:
        yield
    finally:
        module.train(previous)


def trigflow_time(sigma: torch.Tensor, sigma_data: float) -> torch.Tensor:
    """TrigFlow time ``t = arctan(sigma / sigma_data)`` of an EDM level.

    Lu & Song (2024), Section 2: ``x_t = cos(t) x_0 + sin(t) z`` with
    ``z ~ N(0, sigma_data^2 I)`` equals ``cos(t)`` times the EDM sample
    ``x_0 + sigma n`` at ``sigma = sigma_data tan(t)``.
    """
    return torch.atan(sigma / sigma_data)


def from_pixels(pixels: torch.Tensor) -> torch.Tensor:
    """uint8 (or [0, 255]) pixels to the model's range: ``p / 127.5 - 1``."""
    return pixels.float() / 127.5 - 1


def to_pixels(images: torch.Tensor) -> torch.Tensor:
    """[-1, 1] images to [0, 255] floats (``(x + 1) * 127.5``, clamped)."""
    return ((images.float() + 1) * 127.5).clamp(0, 255)


def quantize_uint8(pixels: torch.Tensor) -> torch.Tensor:
    """[0, 255] floats to uint8 by truncation, as the official sampler."""
    if pixels.dtype == torch.uint8:
        return pixels
    return pixels.clamp(0, 255).to(torch.uint8)


def pixels_to_uint8_nhwc(pixels: torch.Tensor) -> np.ndarray:
    """[0, 255] NCHW pixels to a truncated uint8 NHWC array."""
    return quantize_uint8(pixels).permute(0, 2, 3, 1).contiguous().cpu() \
        .numpy()


def to_uint8_nhwc(images: torch.Tensor, rounded: bool = False) -> np.ndarray:
    """[-1, 1] NCHW images to a uint8 NHWC array.

    By default the cast truncates, exactly like the official
    ``((x + 1) * 127.5).clamp(0, 255).to(uint8)``. ``rounded=True`` rounds
    instead, so that a pixel ``p`` stored as ``p / 127.5 - 1`` comes back
    as ``p`` (editing keeps the observed pixels).
    """
    pixels = (images.float() + 1) * 127.5
    if rounded:
        pixels = pixels.round()
    return pixels_to_uint8_nhwc(pixels.clamp(0, 255))


def label_kwargs(labels: Optional[torch.Tensor]) -> dict:
    """The network's class-label keyword: ``{}`` or ``dict(y=labels)``."""
    return {} if labels is None else dict(y=labels)


def index_list(values) -> Optional[list]:
    """Collated indices (list, tuple, tensor or int) as a list of ints."""
    if values is None:
        return None
    if torch.is_tensor(values):
        return [int(v) for v in values.reshape(-1)]
    if isinstance(values, Sequence):
        return [int(v) for v in values]
    return [int(values)]
