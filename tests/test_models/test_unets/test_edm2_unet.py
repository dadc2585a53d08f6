"""EDM2UNet against NVlabs/edm2's and ECT's networks (fixtures in
tests/data/parity, see its README)."""
import json

import pytest
import torch

from mmcm.models import EDM2UNet, EDMParameterisation
from mmcm.models.unets import edm2_constructor_kwargs
from mmcm.models.unets.mp_layers import (MPConv, mp_cat, mp_normalize,
                                         mp_silu, mp_sum)
from mmcm.utils.jvp import attention_jvp_rule, float32_jvp

from ...conftest import REPO

PARITY = f'{REPO}/tests/data/parity'
PRESETS = {
    'edm2-img64-s': dict(image_size=64, num_classes=1000),
    'edm2-img512-s': dict(image_size=64, in_channels=4, num_classes=1000),
    'ecm-s': dict(image_size=64, num_classes=1000, dropout=0.4,
                  dropout_resolution=16, log_variance=False),
}
EDM2 = EDMParameterisation(noise_scale=1.0)


@pytest.fixture(scope='module')
def cases():
    return torch.load(f'{PARITY}/edm2_tiny.pt', weights_only=True)


def tiny_network(cases, which, **kwargs):
    network = EDM2UNet(**edm2_constructor_kwargs(cases['kwargs'][which]),
                       log_variance=which == 'edm2', **kwargs)
    network.load_state_dict(cases[which]['state_dict'])
    return network


@pytest.mark.parametrize('preset', sorted(PRESETS))
def test_names_and_shapes_are_the_released_networks(preset):
    with open(f'{PARITY}/edm2_keys.json') as file:
        expected = json.load(file)[preset]
    with torch.device('meta'):
        network = EDM2UNet(**PRESETS[preset])
    assert [[k, list(v.shape)] for k, v in network.state_dict().items()
            ] == expected


@pytest.mark.parametrize('which', ['edm2', 'ect'])
def test_outputs_equal_the_reference(cases, which):
    case = cases[which]
    network = tiny_network(cases, which, null_class=True).eval()
    null = torch.full_like(case['labels'], network.null_label)
    with torch.no_grad():
        denoised = EDM2(network, case['x'], case['sigma'], y=case['labels'])
        unconditional = EDM2(network, case['x'], case['sigma'], y=null)
    torch.testing.assert_close(denoised, case['denoised'], rtol=0,
                               atol=2e-6)
    torch.testing.assert_close(unconditional,
                               case['denoised_unconditional'], rtol=0,
                               atol=2e-6)
    if which == 'edm2':
        log_variance = network.log_variance(EDM2.noise_input(case['sigma']))
        torch.testing.assert_close(log_variance, case['logvar'], rtol=0,
                                   atol=1e-6)


@pytest.mark.parametrize('which', ['edm2', 'ect'])
def test_training_forward_gradients_and_forced_normalisation(cases, which):
    """Same dropout masks, outputs and gradients in training mode; the
    stored weights are projected to unit norm as the reference's."""
    case = cases[which]
    network = tiny_network(cases, which).train()
    network.force_weight_normalization_()  # as the model, before the step
    torch.manual_seed(1234)
    out = EDM2(network, case['x'], case['sigma'], y=case['labels'])
    out.square().mean().backward()
    torch.testing.assert_close(out, case['denoised_train'], rtol=0,
                               atol=2e-6)
    unet = network.unet
    torch.testing.assert_close(unet.dec['8x8_in0'].emb_gain.grad,
                               case['grad_in0_emb_gain'], rtol=1e-4,
                               atol=1e-9)
    torch.testing.assert_close(unet.out_gain.grad, case['grad_out_gain'],
                               rtol=1e-5, atol=1e-8)
    torch.testing.assert_close(unet.enc['16x16_conv'].weight.grad,
                               case['grad_enc_conv'], rtol=1e-4, atol=1e-8)
    state = network.state_dict()
    for key, weight in case['weights_after_train'].items():
        torch.testing.assert_close(state[key], weight, rtol=0, atol=1e-6)


def test_magnitude_preserving_operations_by_hand():
    x = torch.tensor([[3.0, 4.0]])
    # rms of (3, 4) is 5 / sqrt(2)
    torch.testing.assert_close(mp_normalize(x, eps=0.0),
                               x / (5 / 2**0.5))
    a, b = torch.ones(1, 2), torch.zeros(1, 3)
    torch.testing.assert_close(mp_sum(a, 2 * a, 0.5), 1.5 * a / 0.5**0.5)
    cat = mp_cat(a, b + 1, t=0.5)  # both parts scaled sqrt(5/0.5)/sqrt(n)/2
    torch.testing.assert_close(cat[0, :2], torch.full((2,), 10**0.5 / 2 /
                                                       2**0.5))
    torch.testing.assert_close(cat[0, 2:], torch.full((3,), 10**0.5 / 2 /
                                                       3**0.5))
    torch.testing.assert_close(mp_silu(torch.tensor([0.0, 2.0])),
                               torch.tensor([0.0, 2 / (1 + 2.718281828**-2)
                                             / 0.596]))


def test_forward_never_mutates_and_projection_is_unit_norm():
    """The forward pass uses the weight as stored (it compiles, runs in
    ``torch.func`` transforms, leaves frozen copies alone); the projection
    brings each output channel to unit root-mean-square, and the output
    does not change with the weight's scale."""
    layer = MPConv(4, 3, (3, 3)).train()
    with torch.no_grad():
        layer.weight.mul_(5.0)
    x = torch.randn(2, 4, 5, 5)
    version, before = layer.weight._version, layer(x)
    assert layer.weight._version == version
    layer.force_normalize_()
    rms = layer.weight.flatten(1).square().mean(1).sqrt()
    torch.testing.assert_close(rms, torch.ones(3), rtol=0, atol=1e-3)
    torch.testing.assert_close(layer(x), before, rtol=1e-4, atol=1e-5)


def test_the_log_variance_head_is_frozen_and_only_trainable_weights_move():
    network = small_network()
    assert not network.logvar_linear.weight.requires_grad
    with torch.no_grad():
        for param in network.parameters():
            param.mul_(3.0)
    head = network.logvar_linear.weight.clone()
    network.force_weight_normalization_()
    torch.testing.assert_close(network.logvar_linear.weight, head)
    weight = network.unet.out_conv.weight
    rms = weight.flatten(1).square().mean(1).sqrt()
    torch.testing.assert_close(rms, torch.ones_like(rms), rtol=0, atol=1e-3)


def small_network(**kwargs):
    torch.manual_seed(0)
    network = EDM2UNet(image_size=8, model_channels=8, channel_mult=(1, 2),
                       num_res_blocks=1, attention_resolutions=(4,),
                       channels_per_head=8, num_classes=3, **kwargs)
    for name, param in network.named_parameters():
        if name.endswith('gain'):
            param.data.fill_(0.5)
    return network


def test_jvp_in_training_mode_then_graded_pass():
    """The forward-mode derivative through forced weight normalisation and
    attention (the blockwise rule) equals the math-backend JVP and a
    central difference; the graded pass after it back-propagates."""
    network = small_network(dropout=0.0).train()
    x, v = torch.randn(2, 3, 8, 8), torch.randn(2, 3, 8, 8)
    sigma, labels = torch.tensor([0.3, 2.0]), torch.tensor([0, 2])

    def denoise(x_in):
        return EDM2(network, x_in, sigma, y=labels)

    with torch.no_grad():
        _, rule = float32_jvp(denoise, (x,), (v,))
        with attention_jvp_rule(False):
            _, math = float32_jvp(denoise, (x,), (v,))
        step = 1e-2
        central = (denoise(x + step * v) - denoise(x - step * v)) / (
            2 * step)
    torch.testing.assert_close(rule, math, rtol=1e-4, atol=1e-5)
    assert (rule - central).abs().max() < 2e-2 * central.abs().max()
    denoise(x).square().mean().backward()
    assert network.unet.out_gain.grad is not None


def test_two_time_inputs_and_labels():
    network = small_network(num_time_inputs=2).eval()
    x = torch.randn(2, 3, 8, 8)
    times = torch.tensor([[0.5, 0.2], [0.9, 0.0]])
    out = network(x, times, y=torch.tensor([1, 2]))
    assert out.shape == x.shape
    moved = network(x, times + torch.tensor([[0.0, 0.3], [0, 0]]),
                    y=torch.tensor([1, 2]))
    assert not torch.allclose(out[0], moved[0])
    torch.testing.assert_close(out[1], moved[1])
    with pytest.raises(ValueError, match='class-conditional'):
        network(x, times)


def test_constructor_kwargs_from_a_checkpoint_record():
    kwargs = edm2_constructor_kwargs(dict(
        img_resolution=64, img_channels=4, label_dim=0, use_fp16=True,
        model_channels=128, channel_mult=[1, 2], attn_resolutions=[16],
        dropout=0.1, dropout_res=16, sigma_data=0.5, num_blocks=2))
    assert kwargs == dict(image_size=64, in_channels=4, num_classes=None,
                          model_channels=128, channel_mult=(1, 2),
                          attention_resolutions=(16,), dropout=0.1,
                          dropout_resolution=16, num_res_blocks=2)
