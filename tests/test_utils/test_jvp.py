"""Directional derivatives: exact (forward mode) and finite differences."""
import pytest
import torch

from mmcm.utils.jvp import (directional_derivative, finite_difference_jvp,
                            float32_jvp, in_forward_mode, jvp_without_grad)


def test_jvp_without_grad_is_the_directional_derivative():
    x = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
    v = torch.tensor([1.0, 0.5, 0.0])
    value, derivative = jvp_without_grad(lambda t: t**2, (x, ), (v, ))
    assert value.tolist() == [1.0, 4.0, 9.0]
    assert derivative.tolist() == [2.0, -2.0, 0.0]  # 2 x v
    assert not value.requires_grad and not derivative.requires_grad


def test_forward_mode_is_marked_only_inside_the_exact_jvp():
    seen = []

    def fn(x):
        seen.append(in_forward_mode())
        return x * 3

    float32_jvp(fn, (torch.ones(2), ), (torch.ones(2), ))
    finite_difference_jvp(fn, (torch.ones(2), ), (torch.ones(2), ))
    assert seen == [True, False, False, False] and not in_forward_mode()


def test_central_difference_of_a_cubic():
    """x^3 along t: 3 x^2 t, and the central difference adds h^2 t^3."""
    x = torch.tensor([1.0, 2.0], dtype=torch.float64)
    t = torch.tensor([1.0, -1.0], dtype=torch.float64)
    value, derivative = finite_difference_jvp(lambda y: y**3, (x, ), (t, ),
                                              step=0.1)
    assert value.tolist() == [1.0, 8.0]
    torch.testing.assert_close(derivative, torch.tensor(
        [3.0 + 0.01, -12.0 - 0.01], dtype=torch.float64))


def test_finite_difference_replays_the_dropout_mask():
    """Each evaluation draws the primal's mask, so the difference is the
    derivative of that one masked function: 2 t mask / (1 - p)."""
    x, t = torch.ones(256), torch.full((256, ), 0.5)
    torch.manual_seed(3)
    value, derivative = finite_difference_jvp(
        lambda y: torch.nn.functional.dropout(2 * y, 0.5), (x, ), (t, ))
    kept = value != 0
    # float32 rounding over the step 1e-3: about 1e-5 of the value
    torch.testing.assert_close(derivative, 2.0 * t * kept / 0.5, rtol=1e-4,
                               atol=1e-4)


def test_finite_difference_is_differentiable_and_close_to_exact():
    weight = torch.tensor([0.5, -1.5], requires_grad=True)

    def fn(y):
        return torch.tanh(weight * y)

    x, t = torch.tensor([0.3, 0.7]), torch.tensor([1.0, 2.0])
    _, exact = directional_derivative(fn, (x, ), (t, ), 'exact')
    _, approx = directional_derivative(fn, (x, ), (t, ), 'finite-difference',
                                       1e-3)
    torch.testing.assert_close(approx, exact, rtol=1e-3, atol=1e-4)
    grad_exact, = torch.autograd.grad(exact.sum(), weight)
    grad_approx, = torch.autograd.grad(approx.sum(), weight)
    torch.testing.assert_close(grad_approx, grad_exact, rtol=1e-3,
                               atol=1e-4)
    with pytest.raises(ValueError, match='finite-difference'):
        directional_derivative(fn, (x, ), (t, ), 'symbolic')


def test_jvp_without_a_graph_takes_one_tangent_convolution():
    """PyTorch's convolution JVP convolves twice for the tangent (a zero
    weight tangent included); inside float32_jvp without a graph, once,
    with the same values, for conv1d and conv2d, positional or keyword
    options."""
    from torch.profiler import ProfilerActivity, profile

    from mmcm.utils.jvp import float32_jvp
    torch.manual_seed(0)
    conv2 = torch.nn.Conv2d(8, 6, 3, stride=2, padding=1, groups=2).double()
    conv1 = torch.nn.Conv1d(6, 4, 1).double()
    kernel = conv2.weight.detach()[:6, :3].clone()

    def network(x):
        h = conv2(x)
        h = torch.nn.functional.conv2d(h, kernel, stride=1, padding=1,
                                       groups=2)
        return conv1(h.flatten(2))

    def convolutions(run):
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            result = run()
        counts = {e.key: e.count for e in prof.key_averages()}
        return result, counts.get('aten::_convolution', 0)

    x, dx = (torch.randn(2, 8, 9, 9, dtype=torch.float64) for _ in range(2))
    with torch.no_grad():
        expected, theirs = convolutions(
            lambda: torch.func.jvp(network, (x, ), (dx, )))
        got, ours = convolutions(lambda: float32_jvp(network, (x, ), (dx, )))
    assert (theirs, ours) == (9, 6)  # three layers
    for a, b in zip(got, expected):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)
    # Under grad mode PyTorch's own rule stays: gradients through both.
    out, tangent = float32_jvp(network, (x, ), (dx, ))
    (out.sum() + tangent.sum()).backward()
    assert conv2.weight.grad is not None and conv1.weight.grad is not None


def test_a_kernel_computed_from_the_inputs_keeps_its_tangent():
    """A convolution whose weight depends on the JVP's input (a modulated
    kernel) is not a constant: PyTorch's rule, both terms."""
    from mmcm.utils.jvp import float32_jvp
    base = torch.randn(4, 3, 3, 3, dtype=torch.float64)
    image = torch.randn(1, 3, 6, 6, dtype=torch.float64)

    def modulated(s):
        return torch.nn.functional.conv2d(image, base * s.reshape(4, 1, 1, 1),
                                          padding=1)

    s, ds = torch.rand(4, dtype=torch.float64), torch.rand(
        4, dtype=torch.float64)
    with torch.no_grad():
        got = float32_jvp(modulated, (s, ), (ds, ))
        expected = torch.func.jvp(modulated, (s, ), (ds, ))
    for a, b in zip(got, expected):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-12)
    assert got[1].abs().max() > 0
