"""Convolutions with constant weights under a JVP: one tangent convolution.

PyTorch's forward-mode formula of a convolution computes ``conv(dx, W) +
conv(x, dW)``, and under ``torch.func.jvp`` the captured weights get a
materialised zero tangent: three convolutions per layer where two suffice
(the primal and ``conv(dx, W)``). In an ADM UNet's JVP that third
convolution is a quarter of the time. :class:`ConstantWeightConvolutions`
is a function mode that, inside a JVP without a graph (the weights cannot
need a gradient there), routes ``conv1d``/``conv2d`` through
:class:`ConstantWeightConvolution`, whose tangent is ``conv(dx, W)`` alone.
"""
import torch
import torch.nn.functional as F
from torch.overrides import TorchFunctionMode

CONVOLUTIONS = (F.conv1d, F.conv2d, torch.conv1d, torch.conv2d)
ARGUMENTS = ('input', 'weight', 'bias', 'stride', 'padding', 'dilation',
             'groups')
DEFAULTS = dict(bias=None, stride=1, padding=0, dilation=1, groups=1)


class ConstantWeightConvolution(torch.autograd.Function):
    """``conv(x, W, b)`` with ``W`` and ``b`` held as constants (not
    inputs, so no tangent is made up for them): the tangent is
    ``conv(dx, W)``. No backward: for JVPs without a graph only."""

    @staticmethod
    def forward(x, conv, weight_and_bias, options):
        weight, bias = weight_and_bias
        return conv(x, weight, bias, *options)

    @staticmethod
    def setup_context(ctx, inputs, output):
        _, ctx.conv, ctx.weight_and_bias, ctx.options = inputs

    @staticmethod
    def jvp(ctx, dx, *_):
        return ctx.conv(dx, ctx.weight_and_bias[0], None, *ctx.options)


def constant(tensor) -> bool:
    """Whether ``tensor`` is ``None`` or a plain tensor the JVP does not
    differentiate (not wrapped by ``torch.func``: a parameter, not a
    function of the JVP's inputs)."""
    wrapped = torch._C._functorch.is_functorch_wrapped_tensor
    return tensor is None or not wrapped(tensor)


class _Constant(tuple):
    """A tuple that autograd functions see as a plain Python value."""


class ConstantWeightConvolutions(TorchFunctionMode):
    """Inside, 1-d and 2-d convolutions by constant weights (see
    :func:`constant`; a kernel computed from the JVP's inputs keeps
    PyTorch's rule) take :class:`ConstantWeightConvolution`."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        if func in CONVOLUTIONS and not torch.is_grad_enabled():
            given = dict(DEFAULTS, **dict(zip(ARGUMENTS, args)), **kwargs)
            if not constant(given['weight']) or not constant(given['bias']):
                return func(*args, **kwargs)
            conv = F.conv1d if given['weight'].ndim == 3 else F.conv2d
            options = tuple(given[name] for name in ARGUMENTS[3:])
            return ConstantWeightConvolution.apply(
                given['input'], conv,
                _Constant((given['weight'], given['bias'])), options)
        return func(*args, **kwargs)
