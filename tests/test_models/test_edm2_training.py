"""Every objective trains an EDM2 network (the digits recipes with the
network swapped), teachers guided or not."""
import pytest
import torch
from mmengine import Config

from mmcm.models.guidance import GuidedNetwork
from mmcm.models.parameterisations import (EDMParameterisation,
                                           EDMTrigFlowParameterisation)
from mmcm.models.unets.mp_layers import MPConv
from mmcm.registry import MODELS

from ..conftest import REPO
from .fixed_batch import train_on_batch, uint8_batch

TRAIN = f'{REPO}/configs/consistency_models/train'
EDM2_NET = dict(type='EDM2UNet', image_size=16, in_channels=3,
                num_classes=10, model_channels=8, channel_mult=(1, 2),
                num_res_blocks=1, attention_resolutions=(8, ),
                channels_per_head=8, dropout=0.1, null_class=True,
                log_variance=False)
RECIPES = {
    # recipe: (config, parameterisation overrides, network overrides)
    'cd': ('cm-cd-l2_adm-unet_1xb32-1k_digits-16x16.py',
           dict(noise_scale=1.0), {}),
    'ect': ('ect_adm-unet_1xb32-1k_digits-16x16.py',
            dict(noise_scale=1.0), {}),
    'sct': ('scm-sct_adm-unet_1xb32-1k_digits-16x16.py', {}, {}),
    'scd': ('scm-scd_adm-unet_1xb32-1k_digits-16x16.py', {}, {}),
    'scd-edm-teacher': ('scm-scd_adm-unet_1xb32-1k_digits-16x16.py',
                        dict(type='EDMTrigFlowParameterisation'), {}),
    'meanflow': ('meanflow_adm-unet_1xb32-1k_digits-16x16.py',
                 dict(time_scale=1.0), dict(num_time_inputs=2)),
}


def max_rms_error(network) -> float:
    """The largest distance of a trainable weight's per-channel root mean
    square from one."""
    errors = [(module.weight.flatten(1).square().mean(1).sqrt() - 1).abs()
              .max().item() for module in network.modules()
              if isinstance(module, MPConv) and module.weight.requires_grad]
    return max(errors)


def edm2_model(recipe: str, guidance=None):
    config, parameterisation, network = RECIPES[recipe]
    cfg = Config.fromfile(f'{TRAIN}/{config}').model
    cfg.network = dict(EDM2_NET, **network)
    cfg.parameterisation.update(parameterisation)
    if cfg.parameterisation.type == 'EDMTrigFlowParameterisation':
        cfg.parameterisation.pop('time_scale', None)
    cfg.training.pop('init_from', None)
    teacher = cfg.training.get('teacher')
    if teacher is not None:
        teacher.checkpoint = None
        if guidance:
            teacher.guidance = dict(scale=guidance)
    torch.manual_seed(0)
    return MODELS.build(cfg.to_dict()).train()


@pytest.mark.parametrize('recipe', sorted(RECIPES))
def test_every_objective_trains_an_edm2_network(recipe):
    model = edm2_model(recipe, guidance=1.5)
    if model.teacher is not None:
        assert isinstance(model.teacher, GuidedNetwork)
    before = {k: v.clone() for k, v in model.unet.state_dict().items()}
    losses = train_on_batch(model, uint8_batch((2, 3, 16, 16), 10), 2)
    assert all(torch.isfinite(torch.tensor(losses))), losses
    after = model.unet.state_dict()
    assert not torch.equal(after['unet.out_conv.weight'],
                           before['unet.out_conv.weight'])
    # forced weight normalisation before each step: one Adam step from unit
    # norm away (lr 2e-3 here); a step at lr 0 brings them back exactly
    assert max_rms_error(model.unet) < 0.05
    train_on_batch(model, uint8_batch((2, 3, 16, 16), 10), 1, lr=0.0)
    assert max_rms_error(model.unet) < 1e-3


def with_gains(model, value=0.5):
    """EDM2's gains start at zero (no class or noise conditioning, zero
    output): give the teacher some, so that its classes matter."""
    for name, param in model.teacher.named_parameters():
        if name.endswith('gain'):
            param.data.fill_(value)
    return model


def test_guided_teacher_changes_the_cd_loss():
    data = uint8_batch((2, 3, 16, 16), 10)
    plain = train_on_batch(with_gains(edm2_model('cd')), data, 1, lr=0.0)
    guided = train_on_batch(with_gains(edm2_model('cd', guidance=3.0)),
                            data, 1, lr=0.0)
    unit = train_on_batch(with_gains(edm2_model('cd', guidance=1.0)),
                          data, 1, lr=0.0)
    assert unit[0] == plain[0]
    assert plain[0] != pytest.approx(guided[0], rel=1e-3)


def test_edm_network_seen_as_trigflow():
    """``F_trig(x_t / sd, t) = (cos t x_t - D(x_t / cos t, sd tan t)) /
    (sd sin t)`` with EDM's denoiser ``D``; as a denoiser it is EDM's."""
    torch.manual_seed(0)
    network = MODELS.build(dict(EDM2_NET, dropout=0.0)).eval()
    for name, param in network.named_parameters():
        if name.endswith('gain'):
            param.data.fill_(0.7)
    trig = EDMTrigFlowParameterisation(sigma_data=0.5)
    edm = EDMParameterisation(noise_scale=1.0, sigma_data=0.5)
    x_t, t = torch.randn(2, 3, 16, 16), torch.tensor([0.3, 1.2])
    labels = torch.tensor([3, 7])
    cos, sin = (f(t)[:, None, None, None] for f in (torch.cos, torch.sin))
    with torch.no_grad():
        denoised = edm(network, x_t / cos, 0.5 * torch.tan(t), y=labels)
        expected = (cos * x_t - denoised) / (0.5 * sin)
        got = trig.trig_network(network, labels)(x_t / 0.5, t)
        torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-4)
        sigma = torch.tensor([0.2, 5.0])
        torch.testing.assert_close(trig(network, x_t, sigma, y=labels),
                                   edm(network, x_t, sigma, y=labels))
