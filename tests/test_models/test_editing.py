"""Editing projections, Algorithm 4 and slerp against hand computations."""
import math

import numpy as np
import pytest
import torch

from mmcm.models.editing import (LUMA_WEIGHTS, Colorization, Inpainting,
                                 StrokeGuidance, SuperResolution,
                                 edit_multistep, slerp)
from mmcm.models.parameterisations import ConsistencyParameterisation
from mmcm.models.sampling import build_generator, karras_sigma


def official_luma_basis() -> torch.Tensor:
    """The orthogonal A of the official colorization (QR of [w, e2, e3])."""
    vector = np.asarray(LUMA_WEIGHTS) / np.linalg.norm(LUMA_WEIGHTS)
    matrix = np.eye(3)
    matrix[:, 0] = vector
    q = np.linalg.qr(matrix)[0]
    return torch.from_numpy(q if q[:, 0].sum() > 0 else -q).float()


def test_colorization_matches_the_orthogonal_replacement():
    q = official_luma_basis()
    y, x = torch.randn(2, 3, 4, 5), torch.randn(2, 3, 4, 5)
    coords_y = torch.einsum('bchw,cd->bdhw', y, q)
    coords_x = torch.einsum('bchw,cd->bdhw', x, q)
    mixed = torch.cat([coords_y[:, :1], coords_x[:, 1:]], dim=1)
    expected = torch.einsum('bdhw,cd->bchw', mixed, q)
    got = Colorization().project(y, x)
    torch.testing.assert_close(got, expected, atol=1e-5, rtol=0)


def test_colorization_keeps_luminance_by_hand():
    op = Colorization()
    y = torch.tensor([0.5, -0.2, 0.1]).reshape(1, 3, 1, 1)
    x = torch.tensor([-1.0, 1.0, 0.0]).reshape(1, 3, 1, 1)
    out = op.project(y, x)
    # luminance 0.2989*0.5 - 0.5870*0.2 + 0.1140*0.1 = 0.04345
    assert op.luminance(out).item() == pytest.approx(0.04345, abs=1e-6)
    # The change is along w: out - x = c w, with c = (l_y - l_x) / |w|^2
    # and l_x = -0.2989 + 0.5870 = 0.2881.
    w = torch.tensor(LUMA_WEIGHTS)
    c = (0.04345 - 0.2881) / (w @ w)
    torch.testing.assert_close((out - x).flatten(), c * w)
    assert torch.allclose(op.observation(y).flatten(),
                          torch.full((3, ), 0.04345), atol=1e-6)


def test_superresolution_keeps_patch_means_by_hand():
    op = SuperResolution(2)
    x = torch.tensor([[1., 2., 0., 0.], [3., 4., 0., 8.],
                      [0., 0., 1., 1.], [0., 4., 1., 1.]]).reshape(1, 1, 4, 4)
    y = torch.zeros_like(x)
    y[..., :2, :2] = 10.0
    expected_means = torch.tensor([[10., 0.], [0., 0.]])
    out = op.project(y, x)
    torch.testing.assert_close(op.patch_means(out)[0, 0], expected_means)
    # Within a patch the deviations from the mean come from x.
    torch.testing.assert_close(out[0, 0, :2, :2],
                               torch.tensor([[8.5, 9.5], [10.5, 11.5]]))
    torch.testing.assert_close(op.keep(x)[0, 0, 2:, :2], torch.ones(2, 2))


@pytest.mark.parametrize('factor', [1, 0, 2.5])
def test_superresolution_rejects_bad_factors(factor):
    with pytest.raises(ValueError, match='integer >= 2'):
        SuperResolution(factor)


def test_superresolution_size_must_divide():
    with pytest.raises(ValueError, match='does not divide'):
        SuperResolution(3).patch_means(torch.zeros(1, 3, 8, 8))


def test_inpainting_copies_known_pixels_exactly():
    mask = torch.zeros(1, 1, 4, 4, dtype=torch.bool)
    mask[..., 1:3, 1:3] = True
    y, x = torch.randn(2, 3, 4, 4), torch.randn(2, 3, 4, 4) * 1e8
    out = Inpainting(mask).project(y, x)
    known = ~mask.expand_as(out)
    assert torch.equal(out[known], y[known])
    assert torch.equal(out[~known], x[~known])
    assert torch.equal(Inpainting(mask).initial(y)[~known],
                       torch.zeros(int((~known).sum())))
    with pytest.raises(TypeError, match='bool'):
        Inpainting(mask.float())


def test_stroke_guidance_keeps_nothing_and_starts_from_the_painting():
    op = StrokeGuidance()
    y, x = torch.randn(1, 3, 4, 4), torch.randn(1, 3, 4, 4)
    assert torch.equal(op.project(y, x), x)
    assert torch.equal(op.initial(y), y)


class RecordingDenoiser:
    """Returns a fixed image and records the noise levels it is asked."""

    def __init__(self, output):
        self.output, self.sigmas, self.inputs = output, [], []

    def __call__(self, x, sigma):
        self.sigmas.append(float(sigma[0]))
        self.inputs.append(x.clone())
        return self.output.expand_as(x)


def test_edit_multistep_follows_algorithm_4():
    y = torch.rand(2, 3, 8, 8) * 2 - 1
    mask = torch.zeros(1, 1, 8, 8, dtype=torch.bool)
    mask[..., :4] = True
    op = Inpainting(mask)
    denoiser = RecordingDenoiser(torch.full((1, 3, 8, 8), 0.25))
    ts, steps = (0, 10, 25, 39), 40
    out = edit_multistep(denoiser, y, op, build_generator('determ', 2, 3),
                         ts, steps, ConsistencyParameterisation())
    expected = [karras_sigma(t, steps, 0.002, 80.0) for t in ts[:-1]]
    assert denoiser.sigmas == pytest.approx(expected, rel=1e-6)
    # Line 2: x ~ N(P y, t_1^2): the same noise a fresh generator draws.
    noise = build_generator('determ', 2, 3).randn_like(y)
    torch.testing.assert_close(denoiser.inputs[0], op.initial(y) + 80 * noise)
    # Later inputs: the projected estimate plus noise of std
    # sqrt(t_n^2 - eps^2).
    projected = op.project(y, torch.full_like(y, 0.25))
    residual = denoiser.inputs[1] - projected
    std = math.sqrt(expected[1]**2 - 0.002**2)
    assert residual.std().item() == pytest.approx(std, rel=0.1)
    assert torch.equal(out, projected)


def test_edit_multistep_must_end_at_sigma_min():
    with pytest.raises(ValueError, match='steps - 1 = 39'):
        edit_multistep(RecordingDenoiser(torch.zeros(1)),
                       torch.zeros(1, 3, 4, 4), StrokeGuidance(),
                       build_generator('determ', 1, 0), (0, 20, 30), 40,
                       ConsistencyParameterisation())


def test_slerp_endpoints_midpoint_and_fallback():
    z0 = torch.tensor([[1.0, 0.0]])
    z1 = torch.tensor([[0.0, 2.0]])
    assert torch.equal(slerp(z0, z1, 0.0), z0)
    assert torch.equal(slerp(z0, z1, 1.0), z1)
    # theta = pi / 2: weights sin(pi / 4) / sin(pi / 2) on both.
    half = math.sin(math.pi / 4)
    torch.testing.assert_close(slerp(z0, z1, 0.5),
                               torch.tensor([[half, 2 * half]]))
    # Parallel noises: linear interpolation.
    torch.testing.assert_close(slerp(z0, 3 * z0, 0.25),
                               torch.tensor([[1.5, 0.0]]))
    with pytest.raises(ValueError, match='differ in shape'):
        slerp(z0, torch.zeros(1, 3), 0.5)


def test_slerp_keeps_the_norm_of_gaussian_noise():
    gen = torch.Generator().manual_seed(0)
    z0, z1 = torch.randn(2, 3, 16, 16, generator=gen).chunk(2)
    for alpha in (0.2, 0.5, 0.9):
        norm = slerp(z0, z1, alpha).flatten(1).norm(dim=1)
        expected = z0.flatten(1).norm(dim=1)
        assert torch.allclose(norm, expected, rtol=0.03)
