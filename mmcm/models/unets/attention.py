"""Scaled-dot-product attention with a blockwise forward-mode rule.

PyTorch's fused attention kernels have no forward-mode derivative
(pytorch#128971), so a JVP through attention used to run SDPA's math
backend, with its ``L x L`` attention matrix per head. Here the primal runs
through ``scaled_dot_product_attention`` (any backend, fused ones
included), and the tangent comes from :func:`blockwise_attention_jvp`: one
pass over blocks of keys with an online softmax, float32 accumulators and
no ``L x L`` tensor. Reverse mode through the tangent works too (the
continuous-time objective without stop-gradient needs it): the rule is
written in differentiable operations.
"""
import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel

from mmcm.utils.jvp import attention_rule_enabled, in_forward_mode

ALL_BACKENDS = [SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION,
                SDPBackend.CUDNN_ATTENTION, SDPBackend.MATH]
KEY_BLOCK = 128


def blockwise_attention_jvp(q, k, v, dq, dk, dv, block: int = KEY_BLOCK,
                            output=None):
    """``(O, dO)`` of ``O = softmax(Q K^T / sqrt(d)) V`` along ``(dQ, dK,
    dV)``, a key block at a time.

    With ``S = Q K^T / sqrt(d)``, ``P = softmax(S)`` and ``dS = (dQ K^T +
    Q dK^T) / sqrt(d)``: ``dO = P (dS V) - (P . dS) O + P dV`` row by row,
    i.e. ``dO_i = sum_j P_ij (dS_ij - m_i) V_j + sum_j P_ij dV_j`` with
    ``m_i = sum_j P_ij dS_ij``. Every sum over keys is accumulated as in
    flash attention: ``exp(S - running max)`` weights, rescaled when the
    maximum grows, divided by the running normaliser at the end. Two
    products per block carry both terms of a sum: ``[dQ, Q] [K, dK]^T``
    is ``dQ K^T + Q dK^T``, ``[P . dS, P] [V; dV]`` is ``(P . dS) V + P
    dV``. ``output``, the primal ``O`` when the caller has it (the fused
    kernel's), saves the product ``P V``. Memory ``O(L block)`` per head;
    accumulation in float32 at least.
    """
    dtype = torch.promote_types(q.dtype, torch.float32)
    q, k, v, dq, dk, dv = (t.to(dtype) for t in (q, k, v, dq, dk, dv))
    scale = q.shape[-1]**-0.5
    queries, keys_both = torch.cat([dq, q], -1), torch.cat([k, dk], -1)
    row_max, sums = None, None  # unnormalised: P dS V + P dV, P dS, P, P V
    for start in range(0, k.shape[-2], block):
        keys = slice(start, start + block)
        scores = (q @ k[..., keys, :].transpose(-1, -2)) * scale
        d_scores = (queries @ keys_both[..., keys, :].transpose(-1, -2)
                    ) * scale
        new_max = scores.amax(-1, keepdim=True)
        if row_max is not None:
            new_max = torch.maximum(row_max, new_max)
        weights = torch.exp(scores - new_max)
        weighted_ds = weights * d_scores
        block_sums = [
            torch.cat([weighted_ds, weights], -1) @ torch.cat(
                [v[..., keys, :], dv[..., keys, :]], -2),
            weighted_ds.sum(-1, keepdim=True),
            weights.sum(-1, keepdim=True)]
        if output is None:
            block_sums.append(weights @ v[..., keys, :])
        if sums is None:
            sums = block_sums
        else:
            rescale = torch.exp(row_max - new_max)
            sums = [s * rescale + b for s, b in zip(sums, block_sums)]
        row_max = new_max
    both, pds, normaliser = sums[:3]
    output = sums[3] / normaliser if output is None else output.to(dtype)
    tangent = (both - pds * output) / normaliser
    return output, tangent


class ForwardModeAttention(torch.autograd.Function):
    """SDPA whose forward-mode derivative is :func:`blockwise_attention_jvp`
    and whose backward is SDPA's own (recomputed)."""

    @staticmethod
    def forward(q, k, v):
        with sdpa_kernel(ALL_BACKENDS):
            return F.scaled_dot_product_attention(q, k, v)

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.save_for_backward(*inputs)
        ctx.save_for_forward(*inputs, output)

    @staticmethod
    def backward(ctx, grad_output):
        inputs = [t.detach().requires_grad_() for t in ctx.saved_tensors[:3]]
        with torch.enable_grad(), sdpa_kernel(ALL_BACKENDS):
            output = F.scaled_dot_product_attention(*inputs)
        return torch.autograd.grad(output, inputs, grad_output)

    @staticmethod
    def jvp(ctx, dq, dk, dv):
        q, k, v, output = ctx.saved_tensors
        # Reverse mode through the tangent needs O with its graph: then the
        # rule recomputes it rather than take the fused kernel's.
        primal = None if torch.is_grad_enabled() else output
        _, tangent = blockwise_attention_jvp(q, k, v, dq, dk, dv,
                                             output=primal)
        return tangent.to(q.dtype)


def attention(q: torch.Tensor, k: torch.Tensor,
              v: torch.Tensor) -> torch.Tensor:
    """``scaled_dot_product_attention(q, k, v)``; under
    :func:`mmcm.utils.jvp.float32_jvp`, with the blockwise forward-mode
    rule (unless :func:`mmcm.utils.jvp.attention_jvp_rule` turns it off)."""
    if in_forward_mode() and attention_rule_enabled():
        return ForwardModeAttention.apply(q, k, v)
    return F.scaled_dot_product_attention(q, k, v)
