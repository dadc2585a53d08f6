"""Group normalisation with a forward-mode rule written out.

Through ``torch.func.jvp`` PyTorch differentiates ``native_group_norm``
with a generic formula of many elementwise passes; in an ADM UNet's JVP
that costs about as much as a whole forward pass (``tools/benchmark.py
--train sct``). :class:`ForwardModeGroupNorm` normalises and computes the
tangent directly: with ``x^ = (x - mu) / sigma`` per group,
``dx^ = (dx - mean(dx) - x^ mean(x^ dx)) / sigma``. The affine part
follows in plain operations, so that the parameters enter the JVP as
constants (an autograd function's inputs would get zero tangents, two
wasted passes).
"""
import torch


def normalised_tangent(x: torch.Tensor, dx: torch.Tensor, groups: int,
                       mean: torch.Tensor, rstd: torch.Tensor) -> torch.Tensor:
    """The derivative of the per-group normalisation ``(x - mu) / sigma``
    along ``dx``, given the ``mean`` and ``rstd = 1 / sigma`` of ``x``
    (shape ``(N, groups)``)."""
    shape = x.shape
    x, dx = x.reshape(shape[0], groups, -1), dx.reshape(shape[0], groups, -1)
    mean, rstd = (value.reshape(shape[0], groups, 1) for value in (mean, rstd))
    normalised = (x - mean) * rstd
    projection = (normalised * dx).mean(-1, keepdim=True)
    tangent = dx - dx.mean(-1, keepdim=True) - normalised * projection
    return (tangent * rstd).reshape(shape)


class ForwardModeGroupNorm(torch.autograd.Function):
    """``(x - mu) / sigma`` per group (``native_group_norm`` without
    affine parameters) whose forward-mode derivative is
    :func:`normalised_tangent`, differentiable, so reverse mode through the
    tangent works; its backward is PyTorch's own (recomputed)."""

    @staticmethod
    def forward(x, groups, eps):
        return torch.native_group_norm(x, None, None, x.shape[0], x.shape[1],
                                       x[0, 0].numel(), groups, eps)

    @staticmethod
    def setup_context(ctx, inputs, output):
        x, groups, eps = inputs
        ctx.groups, ctx.eps = groups, eps
        ctx.mark_non_differentiable(output[1], output[2])
        ctx.save_for_backward(x)
        ctx.save_for_forward(x, output[1], output[2])

    @staticmethod
    def backward(ctx, grad_output, _grad_mean, _grad_rstd):
        x = ctx.saved_tensors[0].detach().requires_grad_()
        with torch.enable_grad():
            output = torch.nn.functional.group_norm(x, ctx.groups,
                                                    eps=ctx.eps)
        return torch.autograd.grad(output, x, grad_output)[0], None, None

    @staticmethod
    def jvp(ctx, dx, _groups, _eps):
        x, mean, rstd = ctx.saved_tensors
        if torch.is_grad_enabled():
            # reverse mode through the tangent: statistics with their graph
            var, mean = torch.var_mean(x.reshape(x.shape[0], ctx.groups, -1),
                                       dim=-1, unbiased=False)
            rstd = torch.rsqrt(var + ctx.eps)
        return normalised_tangent(x, dx, ctx.groups, mean, rstd), None, None


def group_norm_in_forward_mode(x: torch.Tensor, groups: int, weight,
                               bias, eps: float) -> torch.Tensor:
    """``F.group_norm(x, groups, weight, bias, eps)`` through
    :class:`ForwardModeGroupNorm`, the affine part in plain operations."""
    out = ForwardModeGroupNorm.apply(x, groups, eps)[0]
    channel = (1, -1) + (1, ) * (x.ndim - 2)
    if weight is not None:
        out = out * weight.reshape(channel)
    if bias is not None:
        out = out + bias.reshape(channel)
    return out
