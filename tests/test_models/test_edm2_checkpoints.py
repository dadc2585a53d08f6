"""EDM2 snapshots in their published format: loaded without running their
code, sampled with Heun steps, guided, as EDM2's ``edm_sampler`` does
(fixture ``tests/data/parity/edm2_tiny.pt``, see its README)."""
import pickle
import sys

import pytest
import torch
from torch import nn

from mmcm.models import ConsistencyModel, EDMParameterisation
from mmcm.models.guidance import GuidedNetwork, guided_prediction
from mmcm.models.sampling.noise import build_generator
from mmcm.models.sampling.samplers import sample_heun, sampler_sigmas
from mmcm.models.training import build_teacher
from mmcm.models.unets import edm2_constructor_kwargs
from mmcm.utils.checkpoint import CheckpointError, load_unet_into

from ..conftest import REPO
from ..test_utils.test_safe_pickle import Persistent, fake_writer_modules

BUFFERS = ('freqs', 'phases')


@pytest.fixture(scope='module')
def cases():
    return torch.load(f'{REPO}/tests/data/parity/edm2_tiny.pt',
                      weights_only=True)


class Node(Persistent, nn.Module):
    """One persistent network record of a snapshot."""


def published_network(state: dict, kwargs: dict, dtype) -> nn.Module:
    """A module tree with ``state``'s names, each module a persistent
    record (``enc`` / ``dec`` plain ``ModuleDict``s, as EDM2's)."""
    root = Node()
    root.remember(**kwargs)
    for key, value in state.items():
        *path, leaf = key.split('.')
        module = root
        for name in path:
            if name not in module._modules:
                child = (nn.ModuleDict() if name in ('enc', 'dec')
                         else Node())
                module.add_module(name, child)
            module = module._modules[name]
        value = value.to(dtype)
        if leaf in BUFFERS:
            module.register_buffer(leaf, value)
        else:
            module.register_parameter(leaf, nn.Parameter(value, False))
    return root.eval()


def write_published(monkeypatch, path, state, kwargs, dtype=torch.float32):
    with monkeypatch.context() as patch:
        for name, module in fake_writer_modules().items():
            patch.setitem(sys.modules, name, module)
        patch.setattr(Persistent, 'module_src',
                      'raise SystemExit("the embedded code ran")\n')
        easy = sys.modules['dnnlib.util'].EasyDict
        snapshot = easy(ema=published_network(state, kwargs, dtype),
                        loss_fn=None, dataset_kwargs=easy(path='x.zip'))
        with open(path, 'wb') as file:
            pickle.dump(snapshot, file)


def edm2_model(cases, which='edm2', **network):
    kwargs = dict(edm2_constructor_kwargs(cases['kwargs'][which]),
                  log_variance=which == 'edm2')
    kwargs.update(network)
    return ConsistencyModel(
        network=dict(type='EDM2UNet', **kwargs),
        parameterisation=dict(type='EDMParameterisation', noise_scale=1.0),
        sampling_cfg=dict(sampler='heun', steps=4)).eval()


def heun(network, case, labels):
    """Four Heun steps from ``sigma_max * noise``, as ``edm_sampler``."""
    parameterisation = EDMParameterisation(noise_scale=1.0)
    sigmas = sampler_sigmas('heun', case['steps'], 0.002, 80.0, 7.0)

    def denoiser(x, sigma):
        return parameterisation(network, x, sigma, y=labels)

    return sample_heun(denoiser, case['noise'] * 80.0, sigmas,
                       build_generator('dummy'))


def test_published_snapshot_loads_and_samples_as_edm2(monkeypatch,
                                                      tmp_path, cases):
    path = tmp_path / 'edm2-img16-tiny-0000001-0.100.pkl'
    write_published(monkeypatch, path, cases['edm2']['state_dict'],
                    cases['kwargs']['edm2'])
    model = edm2_model(cases)
    load_unet_into(model.unet, str(path))
    out = heun(model.unet, cases['edm2']['heun'], cases['edm2']['labels'])
    torch.testing.assert_close(out, cases['edm2']['heun']['plain'],
                               rtol=2e-5, atol=2e-5)


def test_float16_snapshot_loads_into_float32_weights(monkeypatch, tmp_path,
                                                     cases):
    path = tmp_path / 'half.pkl'
    state = cases['edm2']['state_dict']
    write_published(monkeypatch, path, state, cases['kwargs']['edm2'],
                    dtype=torch.float16)
    model = edm2_model(cases)
    load_unet_into(model.unet, str(path))
    loaded = model.unet.state_dict()
    for key, value in state.items():
        assert loaded[key].dtype == torch.float32
        torch.testing.assert_close(loaded[key], value.half().float(),
                                   rtol=0, atol=0)


def test_guided_heun_equals_edm2_with_a_guiding_network(cases):
    case = cases['edm2']
    network = edm2_model(cases).unet
    network.load_state_dict(case['state_dict'])
    guide = edm2_model(cases, num_classes=0).unet
    guide.load_state_dict(case['heun']['guide_state_dict'])
    guided = GuidedNetwork(network, case['heun']['guidance'], guide).eval()
    out = heun(guided, case['heun'], case['labels'])
    torch.testing.assert_close(out, case['heun']['guided'], rtol=2e-5,
                               atol=2e-5)


def test_classifier_free_guidance_is_one_batch_of_both(cases):
    network = edm2_model(cases, null_class=True).unet
    network.load_state_dict(cases['edm2']['state_dict'])
    guided = GuidedNetwork(network, 2.5)
    x, t = torch.randn(2, 3, 16, 16), torch.tensor([0.1, -0.4])
    labels = torch.tensor([1, 4])
    with torch.no_grad():
        expected = guided_prediction(
            network(x, t, labels),
            network(x, t, torch.full_like(labels, network.null_label)), 2.5)
        torch.testing.assert_close(guided(x, t, labels), expected)
        torch.testing.assert_close(GuidedNetwork(network, 1.0)(x, t, labels),
                                   network(x, t, labels))
    assert guided.num_classes == 5
    with pytest.raises(ValueError, match='null class'):
        GuidedNetwork(edm2_model(cases).unet, 2.0)


def test_guided_teacher_from_config(monkeypatch, tmp_path, cases):
    """``teacher.guidance`` with a guide from a published snapshot; the
    student starts from the unguided teacher's weights."""
    path = tmp_path / 'gnet.pkl'
    guide_kwargs = dict(cases['kwargs']['edm2'], label_dim=0)
    write_published(monkeypatch, path, cases['edm2']['heun'][
        'guide_state_dict'], guide_kwargs)
    guide_cfg = dict(type='EDM2UNet',
                     **edm2_constructor_kwargs(guide_kwargs))
    network_cfg = edm2_model(cases).network_cfg
    teacher = build_teacher(network_cfg, guidance=dict(
        scale=1.4, guide=dict(network=guide_cfg, checkpoint=str(path))))
    assert isinstance(teacher, GuidedNetwork) and not teacher.training
    assert not any(p.requires_grad for p in teacher.parameters())
    torch.testing.assert_close(teacher.guide.state_dict()['unet.out_gain'],
                               cases['edm2']['heun']['guide_state_dict'][
                                   'unet.out_gain'])


def test_a_missing_or_extra_log_variance_head_is_named(tmp_path, cases):
    ect_like = {k: v for k, v in cases['edm2']['state_dict'].items()
                if not k.startswith('logvar_')}
    path = tmp_path / 'ecm.pth'
    torch.save(ect_like, path)
    with pytest.raises(CheckpointError, match="network's log_variance"):
        load_unet_into(edm2_model(cases).unet, str(path))
    load_unet_into(edm2_model(cases, log_variance=False).unet, str(path))


def test_guided_networks_take_the_speed_options(cases):
    network = edm2_model(cases, null_class=True).unet
    guide = edm2_model(cases, num_classes=0).unet
    guided = GuidedNetwork(network, 1.5, guide)
    assert guided.accelerate(channels_last=True) is guided
    assert network.memory_format is guide.memory_format is \
        torch.channels_last
