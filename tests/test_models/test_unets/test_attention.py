"""The blockwise forward-mode rule of attention against the math backend's
forward-mode AD, and its memory."""
import pytest
import torch
import torch.nn.functional as F
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.utils._python_dispatch import TorchDispatchMode

from mmcm.models.unets.attention import (ForwardModeAttention, attention,
                                         blockwise_attention_jvp)
from mmcm.models.unets.blocks import AttentionBlock
from mmcm.utils.jvp import float32_jvp


def math_jvp(fn, primals, tangents):
    """PyTorch's own forward-mode AD through SDPA's math backend."""
    with sdpa_kernel(SDPBackend.MATH):
        return torch.func.jvp(fn, primals, tangents)


def qkv_and_tangents(length, head_dim, dtype=torch.float64, seed=0):
    rng = torch.Generator().manual_seed(seed)
    return [torch.randn(2, 3, length, head_dim, generator=rng).to(dtype)
            for _ in range(6)]


@pytest.mark.parametrize('length,head_dim,block', [
    (1, 8, 128), (7, 8, 3), (128, 16, 128), (300, 64, 128)])
def test_blockwise_rule_is_the_math_backends_jvp(length, head_dim, block):
    q, k, v, dq, dk, dv = qkv_and_tangents(length, head_dim)
    expected = math_jvp(F.scaled_dot_product_attention, (q, k, v),
                        (dq, dk, dv))
    got = blockwise_attention_jvp(q, k, v, dq, dk, dv, block=block)
    for a, b in zip(got, expected):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


def test_scores_far_apart_stay_finite():
    """The running maximum keeps exp() in range: logits in the hundreds."""
    q, k, v, dq, dk, dv = qkv_and_tangents(64, 8)
    q = q * 60
    expected = math_jvp(F.scaled_dot_product_attention, (q, k, v),
                        (dq, dk, dv))
    got = blockwise_attention_jvp(q, k, v, dq, dk, dv, block=16)
    for a, b in zip(got, expected):
        torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize('dtype,tolerance', [(torch.float32, 1e-5),
                                             (torch.bfloat16, 2e-2)])
def test_low_precision_inputs_accumulate_in_float32(dtype, tolerance):
    exact = qkv_and_tangents(96, 32)
    q, k, v, dq, dk, dv = (t.to(dtype) for t in exact)
    _, expected = math_jvp(F.scaled_dot_product_attention,
                           tuple(t.double() for t in (q, k, v)),
                           tuple(t.double() for t in (dq, dk, dv)))
    _, tangent = torch.func.jvp(ForwardModeAttention.apply, (q, k, v),
                                (dq, dk, dv))
    assert tangent.dtype == dtype
    scale = expected.abs().max()
    assert (tangent.double() - expected).abs().max() <= tolerance * scale


def test_reverse_mode_through_the_tangent():
    """d/dq of sum(tangent^2): the gradient the 2023 continuous-time
    objective without stop-gradient takes, as through the math backend."""
    q, k, v, dq, dk, dv = qkv_and_tangents(40, 8)
    grads = []
    for fn, jvp in ((F.scaled_dot_product_attention, math_jvp),
                    (ForwardModeAttention.apply, torch.func.jvp)):
        leaf = q.clone().requires_grad_()
        output, tangent = jvp(fn, (leaf, k, v), (dq, dk, dv))
        grads.append(torch.autograd.grad((tangent**2).sum() + output.sum(),
                                         leaf)[0])
    torch.testing.assert_close(grads[1], grads[0], rtol=1e-10, atol=1e-12)


def test_attention_is_plain_sdpa_outside_a_jvp():
    q, k, v = qkv_and_tangents(20, 8, torch.float32)[:3]
    assert torch.equal(attention(q, k, v),
                       F.scaled_dot_product_attention(q, k, v))


class ShapeRecorder(TorchDispatchMode):
    """Every tensor shape an operator returns."""

    def __init__(self):
        super().__init__()
        self.shapes = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for value in out if isinstance(out, (tuple, list)) else (out, ):
            if isinstance(value, torch.Tensor):
                self.shapes.append(tuple(value.shape))
        return out


def test_a_jvp_through_an_attention_block_has_no_token_by_token_tensor():
    """24 x 24 = 576 tokens: the math backend makes (b, heads, 576, 576)
    score matrices; the blockwise rule at most (b, heads, 576, 256) (a
    block of 128 keys, twice in one product)."""
    torch.manual_seed(0)
    block = AttentionBlock(32, num_head_channels=16)
    torch.nn.init.normal_(block.proj_out.weight, std=0.1)
    x, dx = torch.randn(1, 32, 24, 24), torch.randn(1, 32, 24, 24)

    def square(shapes):
        return [s for s in shapes if len(s) >= 2 and s[-2:] == (576, 576)]

    recorder = ShapeRecorder()
    with recorder:
        output, tangent = float32_jvp(block, (x, ), (dx, ))
    assert recorder.shapes and not square(recorder.shapes)
    math = ShapeRecorder()
    with math:
        expected = math_jvp(block, (x, ), (dx, ))
    assert square(math.shapes)  # the recorder sees what it looks for
    torch.testing.assert_close(output, expected[0])
    torch.testing.assert_close(tangent, expected[1], rtol=1e-4, atol=1e-5)
