"""Parameterisations of Karras et al. (2022), Song et al. (2023) and Lu &
Song (2024): each owns the noise range ``[sigma_min, sigma_max]``,
``sigma_data``, the grid exponent ``rho``, the scalings and the network's
noise input, once.

A parameterisation wraps a network ``F`` as the denoiser
``D(x, s) = c_skip(s) x + c_out(s) F(c_in(s) x, c_noise(s))``.
"""
from abc import ABC, abstractmethod
from functools import partial
from typing import Callable, Optional, Tuple

import torch

from mmcm.registry import MODELS
from mmcm.utils.functional import append_dims, label_kwargs, trigflow_time
from mmcm.utils.reprs import plain_repr
from .sampling import karras_sigma


def noise_conditioning(sigma: torch.Tensor, scale: float = 1000.0
                       ) -> torch.Tensor:
    """Network noise input ``c_noise = scale * 0.25 * log(sigma + 1e-44)``.

    EDM's ``c_noise = log(sigma) / 4`` (Karras et al. 2022, Table 1), scaled
    by 1000 as in the official consistency-model code (ADM's sinusoidal
    embedding); EDM2's networks read it unscaled (``scale=1``).
    """
    return scale * 0.25 * torch.log(sigma + 1e-44)


def edm_scalings(sigma: torch.Tensor, sigma_data: float
                 ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """EDM preconditioning ``(c_skip, c_out, c_in)``, Karras et al. Table 1."""
    total = sigma**2 + sigma_data**2
    c_skip = sigma_data**2 / total
    c_out = sigma * sigma_data / total.sqrt()
    c_in = 1 / total.sqrt()
    return c_skip, c_out, c_in


def consistency_scalings(sigma: torch.Tensor, sigma_data: float,
                         sigma_min: float
                         ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Boundary-condition scalings, Song et al. (2023) Eq. (7) / App. C.

    ``c_skip(sigma_min) = 1`` and ``c_out(sigma_min) = 0``, so the model is
    the identity at the smallest noise level.
    """
    c_skip = sigma_data**2 / ((sigma - sigma_min)**2 + sigma_data**2)
    c_out = ((sigma - sigma_min) * sigma_data /
             (sigma**2 + sigma_data**2).sqrt())
    c_in = 1 / (sigma**2 + sigma_data**2).sqrt()
    return c_skip, c_out, c_in


class Parameterisation(ABC):
    """Turns a network ``F(x, c_noise, y)`` into a denoiser ``D(x, sigma)``
    over the noise range it owns.

    Args:
        sigma_min: Smallest noise level (epsilon in Song et al. 2023).
        sigma_max: Largest noise level (T).
        sigma_data: Standard deviation of the data.
        rho: Exponent of the Karras grid.
        noise_scale: ``scale`` of the noise input
            :func:`noise_conditioning`: 1000 for ADM networks (OpenAI's),
            1 for EDM2's. TrigFlow and MeanFlow have their own noise input.
    """

    def __init__(self, sigma_min: float = 0.002, sigma_max: float = 80.0,
                 sigma_data: float = 0.5, rho: float = 7.0,
                 noise_scale: float = 1000.0):
        if not 0 <= sigma_min < sigma_max:
            raise ValueError(f'need 0 <= sigma_min < sigma_max, got '
                             f'{sigma_min} and {sigma_max}')
        self.sigma_min, self.sigma_max = sigma_min, sigma_max
        self.sigma_data, self.rho = sigma_data, rho
        self.noise_scale = noise_scale

    @abstractmethod
    def scalings(self, sigma: torch.Tensor):
        """``(c_skip, c_out, c_in)`` at ``sigma``."""

    def __call__(self, network, x: torch.Tensor, sigma: torch.Tensor,
                 **network_kwargs) -> torch.Tensor:
        """Return the denoised estimate ``D(x, sigma)`` in ``x``'s dtype."""
        c_skip, c_out, c_in = (append_dims(c, x.ndim)
                               for c in self.scalings(sigma))
        output = network(c_in * x, self.noise_input(sigma), **network_kwargs)
        return c_skip * x + c_out * output.to(x.dtype)

    def denoiser(self, network, labels: Optional[torch.Tensor] = None
                 ) -> Callable:
        """``D(x, sigma)`` of ``network`` with the class ``labels`` bound."""
        return partial(self, network, **label_kwargs(labels))

    def noise_input(self, sigma: torch.Tensor) -> torch.Tensor:
        """The network's noise input ``c_noise(sigma)``."""
        return noise_conditioning(sigma, self.noise_scale)

    def karras_sigma(self, position, num_points: int):
        """Level at ``position`` of this range's ``num_points``-point Karras
        grid (0 is ``sigma_max``, ``num_points - 1`` is ``sigma_min``)."""
        return karras_sigma(position, num_points, self.sigma_min,
                            self.sigma_max, self.rho)

    def diffusion_counterpart(self) -> 'Parameterisation':
        """The parameterisation of a diffusion model (a teacher, a
        diffusion head) over the same range: this one by default."""
        return self

    def __repr__(self) -> str:
        return plain_repr(self, 'sigma_min', 'sigma_max', 'sigma_data',
                          'rho')


@MODELS.register_module()
class EDMParameterisation(Parameterisation):
    """EDM denoiser (``training_mode=edm`` in the official code)."""

    def scalings(self, sigma):
        return edm_scalings(sigma, self.sigma_data)


@MODELS.register_module()
class ConsistencyParameterisation(Parameterisation):
    """Consistency function with the boundary condition ``f(x, eps) = x``;
    its teachers are EDM denoisers over the same range."""

    def scalings(self, sigma):
        return consistency_scalings(sigma, self.sigma_data, self.sigma_min)

    def diffusion_counterpart(self) -> Parameterisation:
        return EDMParameterisation(self.sigma_min, self.sigma_max,
                                   self.sigma_data, self.rho,
                                   self.noise_scale)


@MODELS.register_module()
class TrigFlowParameterisation(Parameterisation):
    """TrigFlow model ``f(x_t, t) = cos(t) x_t - sin(t) sigma_d F(x_t /
    sigma_d, t)`` as an EDM-style denoiser ``D(x, sigma)``.

    Lu & Song (2024), Eq. (6), with ``x_t = cos(t) x``: this is EDM's
    preconditioning with ``c_out`` negated (``c_skip = cos^2 t``,
    ``c_out = -sigma_d sin t``, ``c_in = cos(t) / sigma_d``) and the noise
    input ``time_scale * t``: by default sCM's identity transformation
    ``c_noise(t) = t`` (Section 4.1). ``time_scale=1000`` (ADM's embedding
    of ``1000 t``) oscillates so fast in ``t`` that ``dF/dt`` reaches the
    hundreds; sCD on the digits turned to noise with it and learned with 1.
    Both sCM consistency models and TrigFlow diffusion models (whose
    ``x_0`` estimate is the same expression) sample through it with the
    usual samplers. No ``sigma_min`` shift: ``f(x, 0) = x``; ``sigma_min``
    is the bottom of the sampling grid.
    """

    def __init__(self, sigma_min: float = 0.002, sigma_max: float = 80.0,
                 sigma_data: float = 0.5, rho: float = 7.0,
                 time_scale: float = 1.0):
        super().__init__(sigma_min, sigma_max, sigma_data, rho)
        self.time_scale = time_scale

    def scalings(self, sigma):
        c_skip, c_out, c_in = edm_scalings(sigma, self.sigma_data)
        return c_skip, -c_out, c_in

    def noise_input(self, sigma: torch.Tensor) -> torch.Tensor:
        return self.time_scale * trigflow_time(sigma, self.sigma_data)

    def trig_network(self, network, labels: Optional[torch.Tensor] = None
                     ) -> Callable:
        """``F(x / sigma_d, t)`` as a function of ``(x_scaled, t)``."""
        kwargs = label_kwargs(labels)

        def forward(x_scaled, t):
            return network(x_scaled, self.time_scale * t, **kwargs)

        return forward


@MODELS.register_module()
class EDMTrigFlowParameterisation(TrigFlowParameterisation):
    """An EDM-preconditioned network (EDM2's) seen as a TrigFlow model, so
    that sCM trains and distils it in place.

    With ``sigma = sigma_d tan(t)`` and ``x = x_t / cos(t)``, EDM's
    denoiser ``c_skip x + c_out F_edm(c_in x, c_noise(sigma))`` is TrigFlow's
    (``c_skip = cos^2 t``, ``c_in x = x_t / sigma_d``, ``c_out = sigma_d
    sin t``: Lu & Song 2024, Section 2, the equivalence of TrigFlow and
    EDM), so the TrigFlow network is ``F(x_t / sigma_d, t) = -F_edm(x_t /
    sigma_d, c_noise(sigma_d tan t))``. As a denoiser ``D(x, sigma)`` it is
    the EDM one; EDM2's networks read ``c_noise = log(sigma) / 4``
    (``noise_scale=1``).
    """

    def __init__(self, sigma_min: float = 0.002, sigma_max: float = 80.0,
                 sigma_data: float = 0.5, rho: float = 7.0,
                 noise_scale: float = 1.0):
        super().__init__(sigma_min, sigma_max, sigma_data, rho)
        self.noise_scale = noise_scale

    def scalings(self, sigma):
        return edm_scalings(sigma, self.sigma_data)

    def noise_input(self, sigma: torch.Tensor) -> torch.Tensor:
        return noise_conditioning(sigma, self.noise_scale)

    def __repr__(self) -> str:
        return plain_repr(self, 'sigma_min', 'sigma_max', 'sigma_data',
                          'rho', 'noise_scale')

    def trig_network(self, network, labels: Optional[torch.Tensor] = None
                     ) -> Callable:
        kwargs = label_kwargs(labels)

        def forward(x_scaled, t):
            sigma = self.sigma_data * torch.tan(t)
            return -network(x_scaled, self.noise_input(sigma), **kwargs)

        return forward


@MODELS.register_module()
class MeanFlowParameterisation(Parameterisation):
    """MeanFlow (Geng et al. 2025): flow matching ``z_t = (1 - t) x + t e``
    with a network of the average velocity ``u(z_t, r, t)`` over ``[r,
    t]``, so that ``z_r = z_t - (t - r) u`` (Eq. 1 and 4).

    Its noise levels are the flow times ``t`` in ``[0, 1]``
    (``sigma_min = 0``, ``sigma_max = 1``: ``x_T = e``, the noise itself),
    and as a denoiser it is the jump to ``r = 0``: ``D(z, t) = z - t u(z,
    0, t)`` (``c_skip = 1``, ``c_out = -t``, ``c_in = 1``), MeanFlow's
    one-step sampling from ``t = 1``. The network reads the two noise
    inputs ``time_scale * (t, t - r)`` (``ADMUNet(num_time_inputs=2)``),
    as MeanFlow's network reads ``(t, t - r)``. The range is the flow's,
    ``[0, 1]``, fixed.
    """

    def __init__(self, sigma_data: float = 0.5, time_scale: float = 1000.0):
        super().__init__(sigma_min=0.0, sigma_max=1.0, sigma_data=sigma_data)
        self.time_scale = time_scale

    def scalings(self, sigma):
        ones = torch.ones_like(sigma)
        return ones, -sigma, ones

    def noise_input(self, sigma: torch.Tensor) -> torch.Tensor:
        return self.time_inputs(sigma, torch.zeros_like(sigma))

    def time_inputs(self, t: torch.Tensor, r: torch.Tensor) -> torch.Tensor:
        """The network's noise inputs ``time_scale * (t, t - r)``,
        ``(N, 2)``."""
        return self.time_scale * torch.stack([t, t - r], dim=1)

    def jump(self, network, z: torch.Tensor, t: torch.Tensor,
             r: torch.Tensor, **network_kwargs) -> torch.Tensor:
        """``z_r = z_t - (t - r) u(z_t, r, t)`` (Eq. 4), ``t`` and ``r`` of
        shape ``(N,)``."""
        u = network(z, self.time_inputs(t, r), **network_kwargs)
        return z - append_dims(t - r, z.ndim) * u.to(z.dtype)

    def mean_velocity(self, network, labels: Optional[torch.Tensor] = None
                      ) -> Callable:
        """``u(z, t, r)`` of ``network`` with the class ``labels`` bound."""
        kwargs = label_kwargs(labels)

        def forward(z, t, r):
            return network(z, self.time_inputs(t, r), **kwargs)

        return forward


__all__ = [
    'noise_conditioning', 'edm_scalings', 'consistency_scalings',
    'Parameterisation', 'EDMParameterisation', 'ConsistencyParameterisation',
    'TrigFlowParameterisation', 'EDMTrigFlowParameterisation',
    'MeanFlowParameterisation'
]
