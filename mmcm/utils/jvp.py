"""Jacobian-vector products through whole networks: one home.

sCM and the continuous-time consistency objectives differentiate the
network along the probability-flow ODE. :func:`float32_jvp` is the exact
derivative (``torch.func.jvp``, forward mode) in float32; while it runs,
:func:`in_forward_mode` is true, so that attention layers switch to their
blockwise forward-mode rule (``mmcm.models.unets.attention``) instead of an
``L x L`` attention matrix. :func:`finite_difference_jvp` is the
configurable alternative for networks without forward-mode support: a
central difference with the same dropout masks.
"""
import contextlib
import threading
from contextlib import contextmanager
from typing import Callable

import torch
from torch.nn.attention import SDPBackend, sdpa_kernel

from .conv_jvp import ConstantWeightConvolutions
from .functional import rng_state, set_rng_state

JVP_METHODS = ('exact', 'finite-difference')
_state = threading.local()


def in_forward_mode() -> bool:
    """Whether a :func:`float32_jvp` is running in this thread."""
    return getattr(_state, 'depth', 0) > 0


def attention_rule_enabled() -> bool:
    """Whether mmcm's attention layers take their blockwise forward-mode
    rule under :func:`float32_jvp` (the default; see
    :func:`attention_jvp_rule`)."""
    return getattr(_state, 'attention_rule', True)


@contextmanager
def attention_jvp_rule(enabled: bool):
    """Inside, mmcm's attention layers take the blockwise forward-mode rule
    (``True``) or, as other SDPA calls, the math backend's ``L x L``
    attention matrix (``False``: the reference a benchmark compares
    with)."""
    previous = attention_rule_enabled()
    _state.attention_rule = enabled
    try:
        yield
    finally:
        _state.attention_rule = previous


@contextmanager
def forward_mode():
    """Mark the code inside as running under forward-mode AD."""
    _state.depth = getattr(_state, 'depth', 0) + 1
    try:
        yield
    finally:
        _state.depth -= 1


def float32_jvp(fn: Callable, primals: tuple, tangents: tuple):
    """``(fn(*primals), d fn . tangents)`` by ``torch.func.jvp``, with
    autocast off (the tangents are float32 under mixed precision too).
    mmcm's attention layers take their blockwise forward-mode rule; any
    other ``scaled_dot_product_attention`` runs on SDPA's math backend, the
    one of PyTorch's that supports forward-mode AD. Under grad mode both
    outputs are differentiable in ``fn``'s parameters (reverse over
    forward mode); without it (no graph), convolutions take one tangent
    convolution, not two (:mod:`mmcm.utils.conv_jvp`)."""
    device = primals[0].device.type
    convolutions = (contextlib.nullcontext() if torch.is_grad_enabled()
                    else ConstantWeightConvolutions())
    with forward_mode(), sdpa_kernel(SDPBackend.MATH), torch.autocast(
            device, enabled=False), convolutions:
        return torch.func.jvp(fn, primals, tangents)


def finite_difference_jvp(fn: Callable, primals: tuple, tangents: tuple,
                          step: float = 1e-3):
    """``(fn(*primals), (fn(p + h t) - fn(p - h t)) / 2h)``: the central
    difference along ``tangents``, its error ``O(h^2)`` plus the rounding
    of the network's precision over ``h``. The three evaluations draw the
    same dropout masks (the RNG is replayed), run in float32 with autocast
    off, and are differentiable in ``fn``'s parameters under grad mode.
    For networks without forward-mode AD (fused attention kernels,
    sharded wrappers)."""
    device = primals[0].device
    state = rng_state(device)

    def at(scale: float):
        set_rng_state(state)
        shifted = [p + scale * t for p, t in zip(primals, tangents)]
        with torch.autocast(device.type, enabled=False):
            return fn(*shifted)

    output = at(0.0)
    derivative = (at(step) - at(-step)) / (2 * step)
    return output, derivative


def directional_derivative(fn: Callable, primals: tuple, tangents: tuple,
                           method: str = 'exact', step: float = 1e-3):
    """:func:`float32_jvp` (``method='exact'``) or
    :func:`finite_difference_jvp` (``'finite-difference'``, ``step``)."""
    if method == 'exact':
        return float32_jvp(fn, primals, tangents)
    if method == 'finite-difference':
        return finite_difference_jvp(fn, primals, tangents, step)
    raise ValueError(f'jvp method must be one of {JVP_METHODS}, got '
                     f'{method!r}')


def jvp_without_grad(fn: Callable, primals: tuple, tangents: tuple,
                     method: str = 'exact', step: float = 1e-3):
    """:func:`directional_derivative`, detached, without a graph."""
    with torch.no_grad():
        output, derivative = directional_derivative(fn, primals, tangents,
                                                    method, step)
    return output.detach(), derivative.detach()


__all__ = ['JVP_METHODS', 'in_forward_mode', 'forward_mode', 'float32_jvp',
           'attention_rule_enabled', 'attention_jvp_rule',
           'finite_difference_jvp', 'directional_derivative',
           'jvp_without_grad']
