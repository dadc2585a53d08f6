import sys

import pytest
import torch

from mmcm.apis import init_model
from mmcm.models.parameterisations import consistency_scalings


@pytest.fixture(scope='module')
def model(tiny_config, tiny_checkpoint):
    return init_model(tiny_config, tiny_checkpoint)


def test_boundary_condition_returns_input(model):
    x = torch.randn(2, 3, 32, 32)
    out = model.denoise(x, torch.full((2, ), 0.002), torch.tensor([1, 2]))
    assert torch.equal(out, x)


def test_denoise_composes_unet_and_scalings(model):
    x = torch.randn(2, 3, 32, 32)
    sigma, labels = torch.tensor([3.0, 3.0]), torch.tensor([0, 9])
    c_skip, c_out, c_in = consistency_scalings(sigma[0], 0.5, 0.002)
    c_noise = torch.full((2, ), 250 * torch.log(torch.tensor(3.0)).item())
    with torch.no_grad():
        expected = c_skip * x + c_out * model.unet(c_in * x, c_noise, labels)
        assert torch.allclose(model.denoise(x, sigma, labels), expected,
                              atol=1e-5)
        clipped = model.denoise(x, sigma, labels, clip_denoised=True)
    assert clipped.min() >= -1 and clipped.max() <= 1


def test_onestep_sample_is_denoised_scaled_noise(model):
    labels = torch.tensor([3, 4, 5])
    images = model.sample(3, labels=labels, sampler='onestep', seed=7)
    noise = torch.randn(3, 3, 32, 32,
                        generator=torch.Generator().manual_seed(7))
    with torch.no_grad():
        expected = model.denoise(noise * 80.0, torch.full((3, ), 80.0),
                                 labels, clip_denoised=True)
    assert torch.allclose(images, expected, atol=1e-5)
    assert images.std() > 0.05


def test_config_sampler_and_overrides(model):
    assert model.sampling_cfg['sampler'] == 'multistep'
    assert model.sampling_cfg['ts'] == (0, 22, 39)
    labels = torch.tensor([1, 1])
    two_step = model.sample(2, labels=labels, seed=1)
    one_step = model.sample(2, labels=labels, seed=1, sampler='onestep')
    assert not torch.allclose(two_step, one_step)
    with pytest.raises(ValueError, match='unknown sampling options'):
        model.sample(1, labels=labels[:1], temperature=2)


def test_tensor_mode_and_label_checks(model):
    images = model(dict(num_batches=2, labels=[3], sampler='onestep'),
                   mode='tensor')
    assert images.shape == (2, 3, 32, 32)
    with pytest.raises(ValueError, match=r'\[0, 9\]'):
        model(dict(num_batches=1, labels=[10]), mode='tensor')
    with pytest.raises(ValueError, match='samples only'):
        model(dict(num_batches=1), mode='loss')
    with pytest.raises(ValueError, match='unknown mode'):
        model(dict(num_batches=1), mode='train')


def test_predict_mode_returns_mmagic_data_samples(model):
    pytest.importorskip('mmagic.structures')
    samples = model(dict(num_batches=2, labels=[4, 6], sampler='onestep'),
                    mode='predict')
    assert len(samples) == 2
    assert samples[0].fake_img.shape == (3, 32, 32)
    assert 0 <= samples[0].fake_img.min() <= samples[0].fake_img.max() <= 255
    assert samples[1].gt_label.label.tolist() == [6]


def test_predict_mode_without_mmagic_has_the_same_layout(model,
                                                         monkeypatch):
    from mmcm.evaluation.base import fake_image
    from mmcm.evaluation.small_data import _label_of
    inputs = dict(num_batches=2, labels=[4, 6], sampler='onestep')
    monkeypatch.setitem(sys.modules, 'mmagic.structures', None)
    bare = model(dict(inputs), mode='predict')
    assert type(bare[0]).__module__.startswith('mmengine')
    assert [_label_of(s.to_dict()) for s in bare] == [4, 6]
    monkeypatch.undo()
    pytest.importorskip('mmagic.structures')
    full = model(dict(inputs), mode='predict')
    for a, b in zip(bare, full):
        assert a.to_dict().keys() == b.to_dict().keys()
        assert torch.equal(fake_image(a.to_dict()), fake_image(b.to_dict()))
        assert torch.equal(a.gt_label.label, b.gt_label.label)


@pytest.mark.parametrize('generator', ['determ', 'determ-indiv'])
def test_generate_draws_each_index_as_in_the_whole_run(model, generator):
    labels = torch.tensor([1, 5, 2, 7])
    whole = model.generate(range(4), 4, labels, generator=generator,
                           sampler='multistep', steps=12, ts=(0, 6, 11))
    part = model.generate([3, 1], 4, labels[[3, 1]], generator=generator,
                          sampler='multistep', steps=12, ts=(0, 6, 11))
    # the same noise; convolutions of another batch size round differently
    torch.testing.assert_close(part, whole[[3, 1]], rtol=0, atol=1e-5)


def test_forward_names_samples_by_index_or_count(model):
    by_index = model(dict(sample_index=[2, 0], num_samples=3, labels=[4, 4],
                          progress=False, seed=9), mode='tensor')
    expected = model.generate([2, 0], 3, torch.tensor([4, 4]),
                              generator='determ-indiv', seed=9)
    torch.testing.assert_close(by_index, expected, rtol=0, atol=0)
    by_count = model(dict(num_batches=2, labels=[4], seed=9), mode='tensor')
    torch.testing.assert_close(
        by_count, model.generate(range(2), 2, torch.tensor([4, 4]), seed=9),
        rtol=0, atol=0)
    with pytest.raises(TypeError, match='must be a dict'):
        model(torch.zeros(1, 3, 32, 32), mode='tensor')
