"""The Stable Diffusion VAE's latent space: EDM2's normalisation, encoding
and decoding, the data preprocessor's latents and unclipped sampling."""
import pytest
import torch

from mmcm.models import ConsistencyDataPreprocessor
from mmcm.models.latents import StabilityVAE
from mmcm.registry import MODELS
from mmcm.utils.functional import from_pixels

from .tiny_vae import TINY_VAE, save_tiny_vae

pytest.importorskip('diffusers')

# EDM2's StabilityVAEEncoder defaults, written out.
RAW_MEAN = torch.tensor([5.81, 3.25, 0.12, -2.15]).reshape(1, 4, 1, 1)
RAW_STD = torch.tensor([4.17, 4.62, 3.71, 3.28]).reshape(1, 4, 1, 1)


@pytest.fixture(scope='module')
def vae_path(tmp_path_factory):
    return save_tiny_vae(str(tmp_path_factory.mktemp('vae') / 'tiny_vae'))


def images(count=3, seed=0):
    return torch.randint(0, 256, (count, 3, 16, 16), dtype=torch.uint8,
                         generator=torch.Generator().manual_seed(seed))


def test_normalisation_is_edm2s_and_inverts():
    vae = StabilityVAE()  # normalising needs no weights
    z = torch.randn(2, 4, 8, 8) * 4
    expected = (z - RAW_MEAN) / RAW_STD * 0.5 + 0.0
    torch.testing.assert_close(vae.normalize(z), expected)
    torch.testing.assert_close(vae.denormalize(vae.normalize(z)), z)
    other = StabilityVAE(raw_mean=(1, 2, 3, 4), raw_std=(1, 1, 1, 2),
                         final_mean=0.1, final_std=1.0)
    shift = torch.tensor([1., 2, 3, 4]).reshape(1, 4, 1, 1)
    scale = torch.tensor([1., 1, 1, 2]).reshape(1, 4, 1, 1)
    torch.testing.assert_close(other.normalize(z), (z - shift) / scale + 0.1)
    with pytest.raises(ValueError, match='4-channel latents'):
        vae.normalize(torch.zeros(1, 3, 2, 2))


def test_sample_latents_draws_mean_plus_std_noise():
    vae = StabilityVAE()
    mean, std = torch.randn(2, 4, 3, 3), torch.rand(2, 4, 3, 3)
    drawn = vae.sample_latents((mean, std), torch.Generator().manual_seed(5))
    eps = torch.randn(mean.shape, generator=torch.Generator().manual_seed(5))
    torch.testing.assert_close(drawn, mean + std * eps)
    stored = torch.cat([mean, std], 1).half()  # as a data set stores them
    again = vae.sample_latents(stored, torch.Generator().manual_seed(5))
    assert again.dtype == torch.float32
    torch.testing.assert_close(again, mean + std * eps, atol=2e-3, rtol=0)


def test_encode_decode_shapes_dtypes_and_pixel_conventions(vae_path):
    vae = StabilityVAE(path=vae_path, batch_size=2)
    pixels = images()
    mean, std = vae.encode_moments(pixels)
    assert mean.shape == std.shape == (3, 4, 8, 8)
    assert mean.dtype == std.dtype == torch.float32 and (std > 0).all()
    # uint8 pixels and mmcm's [-1, 1] floats are the same images
    float_mean, _ = vae.encode_moments(from_pixels(pixels))
    torch.testing.assert_close(float_mean, mean)
    decoded = vae.decode(vae.encode(pixels, torch.Generator()))
    assert decoded.shape == (3, 3, 16, 16) and decoded.dtype == torch.float32
    assert decoded.min() >= -1 and decoded.max() <= 1
    # the VAE sees [0, 1] by default (EDM2), [-1, 1] when asked
    symmetric = StabilityVAE(path=vae_path, pixel_range=(-1, 1))
    assert not torch.allclose(symmetric.encode_moments(pixels)[0], mean)
    assert vae.autoencoder().training is False
    assert not any(p.requires_grad for p in vae.autoencoder().parameters())


def test_config_built_vae_and_batches_agree(vae_path):
    torch.manual_seed(0)
    from_config = StabilityVAE(config=TINY_VAE, batch_size=1)
    from_folder = StabilityVAE(path=vae_path, batch_size=3)
    # save_tiny_vae seeds 0 before building, as here
    torch.testing.assert_close(from_config.encode_moments(images())[0],
                               from_folder.encode_moments(images())[0],
                               atol=1e-5, rtol=1e-5)


def test_a_missing_vae_is_a_clear_error(tmp_path):
    missing = str(tmp_path / 'sd-vae-ft-mse')
    with pytest.raises(FileNotFoundError) as error:
        StabilityVAE(path=missing)
    message = str(error.value)
    assert missing in message
    assert 'huggingface-cli download stabilityai/sd-vae-ft-mse' in message
    with pytest.raises(FileNotFoundError, match='sd-vae-ft-mse'):
        MODELS.build(dict(type='ConsistencyDataPreprocessor',
                          latents=dict(path=missing)))
    with pytest.raises(ValueError, match='only normalises'):
        StabilityVAE().decode(torch.zeros(1, 4, 2, 2))
    with pytest.raises(ValueError, match='path or a config'):
        StabilityVAE(path=missing, config=TINY_VAE)


def test_preprocessor_draws_and_normalises_moments(vae_path):
    pre = ConsistencyDataPreprocessor(latents=dict(path=vae_path))
    mean, std = torch.randn(2, 4, 8, 8) * 3, torch.rand(2, 4, 8, 8)
    moments = torch.cat([mean, std], 1).half()
    torch.manual_seed(7)
    out = pre(dict(inputs=dict(img=moments, labels=torch.tensor([1, 2]))))
    torch.manual_seed(7)
    eps = torch.randn(2, 4, 8, 8)
    z = mean.half().float() + std.half().float() * eps
    expected = (z - RAW_MEAN) / RAW_STD * 0.5
    assert out['inputs']['img'].shape == (2, 4, 8, 8)
    torch.testing.assert_close(out['inputs']['img'], expected)
    assert out['inputs']['labels'].tolist() == [1, 2]
    listed = pre(dict(inputs=dict(img=list(moments))))['inputs']['img']
    assert listed.shape == (2, 4, 8, 8)
    with pytest.raises(ValueError, match='8-channel moments'):
        pre(dict(inputs=dict(img=torch.zeros(2, 4, 8, 8))))
    assert pre.state_dict() == {}  # the VAE stays out of checkpoints
    decoded = pre.decode_samples(expected)
    assert decoded.shape == (2, 3, 16, 16)
    plain = ConsistencyDataPreprocessor()
    assert plain.decode_samples(expected) is expected


UNET = dict(type='ADMUNet', image_size=8, in_channels=4, out_channels=4,
            model_channels=32, num_res_blocks=1, attention_resolutions=(),
            channel_mult=(1, 2), num_classes=10, num_head_channels=32)


def test_latent_models_sample_unclipped_and_generate_pixels(vae_path):
    latent = MODELS.build(dict(
        type='ConsistencyModel', network=UNET,
        data_preprocessor=dict(type='ConsistencyDataPreprocessor',
                               latents=dict(path=vae_path))))
    pixel = MODELS.build(dict(type='ConsistencyModel', network=UNET))
    assert latent.latent_space and not pixel.latent_space
    pixel.load_state_dict(latent.state_dict())  # no VAE keys either side
    for model in (latent, pixel):
        with torch.no_grad():
            model.unet.out[-1].bias.fill_(6.0)  # F = 6: f(x) near 3
    labels = torch.tensor([0, 1])
    assert latent.sample(2, labels).min() > 2  # latents: no clipping
    assert pixel.sample(2, labels).max() == 1  # pixels: clipped
    images = latent.generate([0, 1], 2, labels)
    assert images.shape == (2, 3, 16, 16)
    assert images.min() >= -1 and images.max() <= 1
    samples = latent(dict(sample_index=[3, 4], num_samples=5,
                          labels=labels), mode='predict')
    assert tuple(samples[0].fake_img.shape) == (3, 16, 16)
