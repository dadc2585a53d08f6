"""The forward-mode rule of group normalisation against PyTorch's own
derivative of ``F.group_norm``, and inside the UNet's JVP."""
import pytest
import torch
import torch.nn.functional as F

from mmcm.models.unets.blocks import GroupNorm32
from mmcm.models.unets.group_norm import (ForwardModeGroupNorm,
                                          group_norm_in_forward_mode)
from mmcm.utils.jvp import float32_jvp


def inputs(shape=(3, 64, 5, 4), seed=0):
    gen = torch.Generator().manual_seed(seed)
    x, dx = (torch.randn(shape, generator=gen, dtype=torch.float64) * 3 + 1
             for _ in range(2))
    weight = torch.randn(shape[1], generator=gen, dtype=torch.float64)
    bias = torch.randn(shape[1], generator=gen, dtype=torch.float64)
    return x, dx, weight, bias


@pytest.mark.parametrize('shape,groups', [((3, 64, 5, 4), 32),
                                          ((2, 32, 7), 32),
                                          ((2, 96, 3, 3), 32)])
def test_rule_is_pytorchs_jvp(shape, groups):
    x, dx, weight, bias = inputs(shape)

    def ours(a):
        return group_norm_in_forward_mode(a, groups, weight, bias, 1e-5)

    def reference(a):
        return F.group_norm(a, groups, weight, bias, 1e-5)

    out, tangent = torch.func.jvp(ours, (x, ), (dx, ))
    ref_out, ref_tangent = torch.func.jvp(reference, (x, ), (dx, ))
    torch.testing.assert_close(out, ref_out, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(tangent, ref_tangent, rtol=1e-10, atol=1e-12)


def test_parameter_tangents_and_reverse_mode_through_the_tangent():
    """Tangents in all three inputs; the gradient of a function of the
    tangent and of the output (reverse over forward mode)."""
    x, dx, weight, bias = inputs()
    dweight, dbias = torch.randn_like(weight), torch.randn_like(bias)
    probe = torch.randn_like(x)
    results = []
    for function in (
            lambda a, w, b: group_norm_in_forward_mode(a, 32, w, b, 1e-5),
            lambda a, w, b: F.group_norm(a, 32, w, b, 1e-5)):
        leaves = [t.clone().requires_grad_() for t in (x, weight, bias)]
        out, tangent = torch.func.jvp(function, tuple(leaves),
                                      (dx, dweight, dbias))
        ((tangent * probe).sum() + out.pow(2).sum()).backward()
        results.append([tangent.detach()] + [t.grad for t in leaves])
    for ours, reference in zip(*results):
        torch.testing.assert_close(ours, reference, rtol=1e-10, atol=1e-10)


def test_group_norm32_takes_the_rule_only_in_a_jvp():
    norm = GroupNorm32(64)
    x = torch.randn(2, 64, 4, 4)
    calls = []
    original = ForwardModeGroupNorm.apply

    def counting(*args):
        calls.append(1)
        return original(*args)

    ForwardModeGroupNorm.apply = counting
    try:
        plain = norm(x)
        assert not calls
        out, tangent = float32_jvp(norm, (x, ), (x, ))
    finally:
        ForwardModeGroupNorm.apply = original
    assert calls
    torch.testing.assert_close(out, plain)
    # GroupNorm is scale-invariant per group: along x itself the tangent
    # is zero.
    assert tangent.abs().max() < 1e-4
