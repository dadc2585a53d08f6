"""Data-consistency projections for zero-shot editing.

Song et al. (2023), Algorithm 4, keeps the observed part of a reference
image ``y`` after every consistency step:
``x <- A^-1[A(y) (1 - Omega) + A(x) Omega]``. For an orthogonal ``A`` this
is ``x + P (y - x)``, where ``P`` projects onto the observed subspace
(the coordinates with ``Omega = 0``). Each operator below is one choice of
``P``; all act on ``(N, C, H, W)`` tensors in ``[-1, 1]``.
"""
from abc import ABC, abstractmethod

import torch
import torch.nn.functional as F

# Rec. 601 luma weights, as in the official colorization code.
LUMA_WEIGHTS = (0.2989, 0.5870, 0.1140)


class EditOperator(ABC):
    """Base class: ``P`` projects onto what the reference fixes."""

    #: The task name used by the APIs and ``tools/edit.py``.
    task = ''

    @abstractmethod
    def keep(self, x: torch.Tensor) -> torch.Tensor:
        """``P x``: the component of ``x`` the reference determines."""

    def project(self, reference: torch.Tensor,
                x: torch.Tensor) -> torch.Tensor:
        """Algorithm 4's replacement: ``x + P (y - x)``."""
        return x + self.keep(reference - x)

    def initial(self, reference: torch.Tensor) -> torch.Tensor:
        """Algorithm 4, line 1: the observed part ``P y`` (the rest zero)."""
        return self.keep(reference)

    def observation(self, reference: torch.Tensor) -> torch.Tensor:
        """What the model is given, as an image to show next to results."""
        return self.initial(reference)


class Inpainting(EditOperator):
    """Keep the pixels outside a mask; generate the ones inside it.

    Args:
        mask: Bool tensor broadcastable to the images, ``True`` where pixels
            are generated (``Omega = 1``), ``False`` where they are kept.
    """

    task = 'inpaint'

    def __init__(self, mask: torch.Tensor):
        if mask.dtype != torch.bool:
            raise TypeError(f'the mask must be a bool tensor, got '
                            f'{mask.dtype}')
        self.mask = mask

    def keep(self, x: torch.Tensor) -> torch.Tensor:
        return x.masked_fill(self.mask.to(x.device), 0)

    def project(self, reference: torch.Tensor,
                x: torch.Tensor) -> torch.Tensor:
        """Known pixels copied exactly (no ``x + (y - x)`` rounding)."""
        return torch.where(self.mask.to(x.device), x, reference)


class Colorization(EditOperator):
    """Keep the luminance ``w . rgb`` of every pixel; generate the colour.

    ``P`` projects each pixel's RGB vector onto ``w / |w|`` with ``w`` the
    Rec. 601 luma weights: the first column of the orthogonal ``A`` that the
    official code builds by QR. The observation shown is the grey image
    whose three channels equal the luminance.
    """

    task = 'colorize'

    def _unit_luma(self, x: torch.Tensor) -> torch.Tensor:
        weights = x.new_tensor(LUMA_WEIGHTS)
        return (weights / weights.norm()).reshape(1, 3, 1, 1)

    def luminance(self, x: torch.Tensor) -> torch.Tensor:
        """``w . rgb`` per pixel, shape ``(N, 1, H, W)``."""
        weights = x.new_tensor(LUMA_WEIGHTS).reshape(1, 3, 1, 1)
        return (x * weights).sum(dim=1, keepdim=True)

    def keep(self, x: torch.Tensor) -> torch.Tensor:
        unit = self._unit_luma(x)
        return unit * (x * unit).sum(dim=1, keepdim=True)

    def observation(self, reference: torch.Tensor) -> torch.Tensor:
        return self.luminance(reference).expand_as(reference)


class SuperResolution(EditOperator):
    """Keep the mean of every ``factor x factor`` patch of each channel.

    ``P x`` replaces each patch by its mean: the official code's orthogonal
    basis of the patch whose first vector is the constant one.
    """

    task = 'superres'

    def __init__(self, factor: int):
        if int(factor) != factor or factor < 2:
            raise ValueError(f'the super-resolution factor must be an '
                             f'integer >= 2, got {factor}')
        self.factor = int(factor)

    def check_size(self, height: int, width: int) -> None:
        if height % self.factor or width % self.factor:
            raise ValueError(f'factor {self.factor} does not divide the '
                             f'image size {height}x{width}')

    def patch_means(self, x: torch.Tensor) -> torch.Tensor:
        """The low-resolution image ``(N, C, H / factor, W / factor)``."""
        self.check_size(*x.shape[-2:])
        return F.avg_pool2d(x, self.factor)

    def keep(self, x: torch.Tensor) -> torch.Tensor:
        means = self.patch_means(x)
        return F.interpolate(means, scale_factor=self.factor, mode='nearest')


class StrokeGuidance(EditOperator):
    """SDEdit-style generation from a coarse stroke painting.

    Nothing is kept (``Omega = 1`` everywhere); the chain starts from the
    painting itself plus noise at an intermediate level, so the result
    follows its layout and colours.
    """

    task = 'stroke'

    def keep(self, x: torch.Tensor) -> torch.Tensor:
        return torch.zeros_like(x)

    def project(self, reference: torch.Tensor,
                x: torch.Tensor) -> torch.Tensor:
        return x

    def initial(self, reference: torch.Tensor) -> torch.Tensor:
        return reference
