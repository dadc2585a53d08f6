"""Editing APIs on the tiny model: each constraint holds exactly."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmcm.apis import edit_images, init_model, interpolate
from mmcm.apis.edit_inputs import named_mask
from mmcm.models.editing import Colorization

SIZE = 32


@pytest.fixture(scope='module')
def model(tiny_config, tiny_checkpoint):
    return init_model(tiny_config, tiny_checkpoint)


@pytest.fixture(scope='module')
def pictures() -> np.ndarray:
    """Two uint8 RGB 32x32 images with structure."""
    rng = np.random.default_rng(0)
    base = np.linspace(0, 255, SIZE)[None, :, None] * np.ones((SIZE, 1, 3))
    noise = rng.integers(0, 60, (2, SIZE, SIZE, 3))
    return np.clip(base[None] + noise, 0, 255).astype(np.uint8)


def as_tensor(images: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(images).permute(0, 3, 1, 2).float() / 127.5 - 1


def edit(model, task, images, **kwargs):
    return edit_images(model, task, images, class_labels=[3], seed=5,
                       **kwargs)


def test_inpainting_keeps_every_known_pixel(model, pictures):
    mask = named_mask('center', SIZE)
    result = edit(model, 'inpaint', pictures, mask=mask)
    known = ~torch.from_numpy(mask)
    assert torch.equal(result.tensor[:, :, known],
                       as_tensor(pictures)[:, :, known])
    assert np.array_equal(result.images[:, known], pictures[:, known])
    generated = result.tensor[:, :, ~known]
    assert (generated - as_tensor(pictures)[:, :, ~known]).abs().mean() > .05
    assert generated.abs().max() <= 1  # clipped model outputs
    assert result.labels.tolist() == [3, 3]
    assert result.observations[:, ~known].tolist() == [[[128] * 3] * 256] * 2


def test_inpainting_with_one_mask_per_image(model, pictures):
    masks = np.stack([named_mask('left', SIZE), named_mask('top', SIZE)])
    result = edit(model, 'inpaint', pictures, mask=masks)
    for image, mask in zip(range(2), masks):
        known = ~torch.from_numpy(mask)
        assert torch.equal(result.tensor[image][:, known],
                           as_tensor(pictures)[image][:, known])


@pytest.mark.parametrize('gray_input', [False, True])
def test_colorization_keeps_the_input_luminance(model, pictures,
                                                gray_input):
    op = Colorization()
    if gray_input:
        inputs = pictures[..., 0]  # (N, H, W) grayscale list
        inputs = list(inputs)
        luma = op.luminance(as_tensor(pictures[..., :1].repeat(3, -1)))
    else:
        inputs = pictures
        luma = op.luminance(as_tensor(pictures))
    result = edit(model, 'colorize', inputs)
    torch.testing.assert_close(op.luminance(result.tensor), luma,
                               atol=1e-5, rtol=0)
    chroma = result.tensor - result.tensor.mean(dim=1, keepdim=True)
    assert chroma.abs().mean() > 0.01  # colour was generated


def patch_means(x: torch.Tensor, factor: int) -> torch.Tensor:
    return F.avg_pool2d(x, factor)


def test_superresolution_keeps_the_patch_averages(model, pictures):
    result = edit(model, 'superres', pictures, factor=4)
    torch.testing.assert_close(patch_means(result.tensor, 4),
                               patch_means(as_tensor(pictures), 4),
                               atol=1e-5, rtol=0)
    within = result.tensor - F.interpolate(
        patch_means(result.tensor, 4), scale_factor=4)
    assert within.abs().mean() > 0.01  # detail was generated


def test_superresolution_from_low_resolution_inputs(model, pictures):
    small = pictures[:, ::4, ::4].copy()  # 8x8: factor 4 is implied
    result = edit(model, 'superres', small)
    torch.testing.assert_close(patch_means(result.tensor, 4),
                               as_tensor(small), atol=1e-5, rtol=0)
    assert result.images.shape == (2, SIZE, SIZE, 3)


def test_stroke_guidance_follows_the_painting(model, pictures):
    result = edit(model, 'stroke', pictures)
    start = edit(model, 'stroke', pictures, ts=(30, 39))
    # Starting closer to the painting leaves the result closer to it.
    far = (result.tensor - as_tensor(pictures)).abs().mean()
    near = (start.tensor - as_tensor(pictures)).abs().mean()
    assert near < far


@pytest.mark.parametrize('task, kwargs', [
    ('inpaint', dict(mask=named_mask('right', SIZE))),
    ('colorize', {}), ('superres', dict(factor=2)), ('stroke', {})])
def test_results_are_deterministic_for_a_seed(model, pictures, task, kwargs):
    first = edit_images(model, task, pictures, seed=1, **kwargs)
    again = edit_images(model, task, pictures, seed=1, **kwargs)
    other = edit_images(model, task, pictures, seed=2, **kwargs)
    assert torch.equal(first.tensor, again.tensor)
    assert not torch.equal(first.tensor, other.tensor)


def test_interpolation_ends_are_the_one_step_samples(model):
    result = interpolate(model, seeds=(4, 9), num_frames=5, class_label=2)
    labels = torch.tensor([2])
    for frame, seed in ((0, 4), (-1, 9)):
        sample = model.sample(1, labels=labels, seed=seed, sampler='onestep')
        torch.testing.assert_close(result.tensor[frame], sample[0],
                                   atol=1e-5, rtol=0)
    assert result.alphas.tolist() == [0, 0.25, 0.5, 0.75, 1]
    assert result.images.shape == (5, SIZE, SIZE, 3)
    middle = result.tensor[2]
    assert (middle - result.tensor[0]).abs().mean() > 0.01
    assert (middle - result.tensor[-1]).abs().mean() > 0.01
    assert result.labels.tolist() == [2] * 5


def test_interpolation_checks_its_arguments(model):
    with pytest.raises(ValueError, match='at least 2'):
        interpolate(model, num_frames=1)
    with pytest.raises(ValueError, match='two seeds'):
        interpolate(model, seeds=(1, 2, 3))


@pytest.mark.parametrize('task, images, kwargs, message', [
    ('deblur', 'rgb', {}, "unsupported editing task 'deblur'"),
    ('inpaint', 'rgb', {}, 'inpaint needs a mask'),
    ('inpaint', 'small', dict(mask=np.ones((32, 32))), 'are 16x16 but'),
    ('inpaint', 'rgb', dict(mask=np.ones((16, 16))), 'the mask has shape'),
    ('inpaint', 'rgb', dict(mask=np.ones((3, 32, 32))), 'the mask has'),
    ('inpaint', 'rgb', dict(mask=np.zeros((32, 32))), 'no pixel'),
    ('inpaint', 'gray', dict(mask=np.ones((32, 32))),
     'only colorize takes grayscale'),
    ('stroke', 'gray', {}, 'got grayscale ones'),
    ('colorize', 'rgba', {}, r'got shape \(32, 32, 4\)'),
    ('colorize', 'rgb', dict(mask=np.ones((32, 32))), 'a mask is for'),
    ('stroke', 'rgb', dict(factor=2), 'a factor is for superres'),
    ('superres', 'rgb', {}, 'superres needs a factor'),
    ('superres', 'rgb', dict(factor=3), 'does not divide'),
    ('superres', 'small', dict(factor=4), 'or 8x8 for factor 4'),
    ('colorize', 'float', {}, 'must be uint8'),
])
def test_clear_errors(model, task, images, kwargs, message):
    inputs = dict(
        rgb=np.zeros((32, 32, 3), np.uint8),
        small=np.zeros((16, 16, 3), np.uint8),
        gray=np.zeros((32, 32), np.uint8),
        rgba=np.zeros((32, 32, 4), np.uint8),
        float=np.zeros((32, 32, 3), np.float32))[images]
    with pytest.raises(ValueError, match=message):
        edit_images(model, task, inputs, class_labels=[0], **kwargs)


def test_ts_must_end_at_the_last_grid_index(model, pictures):
    with pytest.raises(ValueError, match='ts must end with'):
        edit(model, 'colorize', pictures, ts=(0, 20))


def test_latent_models_refuse_pixel_editing(model, pictures, monkeypatch):
    monkeypatch.setattr(type(model), 'latent_space', property(lambda m: True))
    with pytest.raises(ValueError, match='pixel-space model'):
        edit(model, 'inpainting', pictures[:1])
    with pytest.raises(ValueError, match='pixel-space model'):
        interpolate(model, num_frames=2)
