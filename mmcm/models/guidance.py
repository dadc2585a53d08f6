"""Guidance of a diffusion model by a reference prediction: classifier-free
guidance (Ho & Salimans 2022) and EDM2's guiding networks (Karras et al.
2024, "Guiding a Diffusion Model with a Bad Version of Itself").

Both extrapolate from a reference prediction ``F_ref`` towards the
conditional one, ``F_ref + w (F - F_ref)``: the reference is the same
network with the null class (classifier-free guidance) or another network
(an unconditional or smaller model, EDM2's ``gnet``). The parameterisations
here are affine in the network's output with the same coefficients for
both, ``D = c_skip x + c_out F``, so guiding ``F`` is guiding the denoiser
``D`` (EDM2's ``ref_Dx.lerp(Dx, guidance)``) and the TrigFlow velocity
(sCM's guided teacher) alike.
"""
from typing import Optional, Union

import torch
from torch import nn

from mmcm.registry import MODELS


def guided_prediction(conditional: torch.Tensor, reference: torch.Tensor,
                      scale: float) -> torch.Tensor:
    """``F_ref + w (F_cond - F_ref)`` (Ho & Salimans 2022, Eq. 6; Karras et
    al. 2024, Eq. 1): ``w = 1`` is the conditional prediction."""
    return reference + scale * (conditional - reference)


def _built(module: Union[nn.Module, dict, None]) -> Optional[nn.Module]:
    return MODELS.build(module) if isinstance(module, dict) else module


@MODELS.register_module()
class GuidedNetwork(nn.Module):
    """A network whose output is guided with scale ``scale``.

    Args:
        network: The conditional network (or its config).
        scale: Guidance scale ``w``; 1 is no guidance.
        guide: The reference network (or its config): ``None`` for
            classifier-free guidance by ``network``'s own null class (its
            ``null_label``, e.g. ``EDM2UNet(null_class=True)``, a zero
            class vector); else a guiding network, called with the labels
            when it is class-conditional and without them otherwise.

    The state dict holds ``network.*`` (and ``guide.*``). Attributes that
    samplers read (``num_classes``, ``image_size``, ``in_channels``) are the
    network's.
    """

    def __init__(self, network: Union[nn.Module, dict], scale: float,
                 guide: Union[nn.Module, dict, None] = None):
        super().__init__()
        self.network, self.guide = _built(network), _built(guide)
        self.scale = float(scale)
        if self.guide is None and self.scale != 1 and getattr(
                self.network, 'null_label', None) is None:
            raise ValueError(
                'classifier-free guidance needs a null class: build the '
                'network with null_class=True, or give a guide network')

    def __getattr__(self, name: str):
        try:
            return super().__getattr__(name)
        except AttributeError:
            if name in ('num_classes', 'image_size', 'in_channels',
                        'out_channels', 'null_label', 'num_time_inputs'):
                return getattr(self.network, name)
            raise

    def accelerate(self, **options) -> 'GuidedNetwork':
        """The speed options of the network and the guide (see
        :class:`~mmcm.models.unets.Accelerable`); returns ``self``."""
        for network in (self.network, self.guide):
            if network is not None:
                network.accelerate(**options)
        return self

    def forward(self, x: torch.Tensor, timesteps: torch.Tensor,
                y: Optional[torch.Tensor] = None) -> torch.Tensor:
        if self.scale == 1:
            return self.network(x, timesteps, y)
        if self.guide is None:
            return self._classifier_free(x, timesteps, y)
        conditional = self.network(x, timesteps, y)
        guide_labels = y if self.guide.num_classes is not None else None
        reference = self.guide(x, timesteps, guide_labels)
        return guided_prediction(conditional, reference, self.scale)

    def _classifier_free(self, x, timesteps, y):
        """Conditional and null-class predictions in one batch."""
        if y is None:
            raise ValueError('classifier-free guidance needs class labels')
        null = torch.full_like(y, self.network.null_label)
        both = self.network(torch.cat([x, x]), torch.cat([timesteps,
                                                          timesteps]),
                            torch.cat([y, null]))
        conditional, reference = both.chunk(2)
        return guided_prediction(conditional, reference, self.scale)
