"""Group normalisation with a forward-mode rule written out.

Through ``torch.func.jvp`` PyTorch differentiates ``native_group_norm``
with a generic formula of many elementwise passes; in an ADM UNet's JVP
that costs about as much as a whole forward pass (``tools/benchmark.py
--train sct``). :class:`ForwardModeGroupNorm` computes the tangent
directly: with ``x^ = (x - mu) / sigma`` per group,
``dy = gamma (dx - mean(dx) - x^ mean(x^ dx)) / sigma``.
"""
import torch
import torch.nn.functional as F


def group_norm_tangent(x: torch.Tensor, dx: torch.Tensor, groups: int,
                       weight, mean: torch.Tensor, rstd: torch.Tensor,
                       dweight=None, dbias=None) -> torch.Tensor:
    """The derivative of ``group_norm(x, groups, weight, bias)`` along
    ``(dx, dweight, dbias)`` (``None``: no tangent), given the per-group
    ``mean`` and ``rstd = 1 / sigma`` of ``x`` (shape ``(N, groups)``)."""
    shape = x.shape
    x, dx = x.reshape(shape[0], groups, -1), dx.reshape(shape[0], groups, -1)
    mean, rstd = mean.reshape(shape[0], groups, 1), rstd.reshape(
        shape[0], groups, 1)
    normalised = (x - mean) * rstd
    projection = (normalised * dx).mean(-1, keepdim=True)
    tangent = (dx - dx.mean(-1, keepdim=True) - normalised * projection)
    tangent = (tangent * rstd).reshape(shape)
    channel = (1, -1) + (1, ) * (len(shape) - 2)
    if weight is not None:
        tangent = tangent * weight.reshape(channel)
    if dweight is not None:
        tangent = tangent + normalised.reshape(shape) * dweight.reshape(
            channel)
    if dbias is not None:
        tangent = tangent + dbias.reshape(channel)
    return tangent


class ForwardModeGroupNorm(torch.autograd.Function):
    """``native_group_norm`` (output, mean, rstd) whose forward-mode
    derivative of the output is
    :func:`group_norm_tangent` (differentiable, so reverse mode through
    the tangent works) and whose backward is PyTorch's own (recomputed).
    ``torch.func.jvp`` gives the parameters zero tangents, which add two
    cheap passes."""

    @staticmethod
    def forward(x, groups, weight, bias, eps):
        size = x[0, 0].numel()
        return torch.native_group_norm(x, weight, bias, x.shape[0],
                                       x.shape[1], size, groups, eps)

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, groups, weight, bias, eps = inputs
        ctx.groups, ctx.eps = groups, eps
        ctx.mark_non_differentiable(output[1], output[2])
        ctx.save_for_backward(x, weight, bias)
        ctx.save_for_forward(x, weight, output[1], output[2])

    @staticmethod
    def backward(ctx, grad_output, _grad_mean, _grad_rstd):
        saved = [t.detach().requires_grad_() for t in ctx.saved_tensors]
        with torch.enable_grad():
            output = F.group_norm(saved[0], ctx.groups, saved[1], saved[2],
                                  ctx.eps)
        grads = torch.autograd.grad(output, saved, grad_output)
        return grads[0], None, grads[1], grads[2], None

    @staticmethod
    def jvp(ctx, dx, _groups, dweight, dbias, _eps):
        x, weight, mean, rstd = ctx.saved_tensors
        if torch.is_grad_enabled():
            # reverse mode through the tangent: statistics with their graph
            var, mean = torch.var_mean(x.reshape(x.shape[0], ctx.groups, -1),
                                       dim=-1, unbiased=False)
            rstd = torch.rsqrt(var + ctx.eps)
        tangent = group_norm_tangent(x, dx, ctx.groups, weight, mean, rstd,
                                     dweight, dbias)
        return tangent, None, None
