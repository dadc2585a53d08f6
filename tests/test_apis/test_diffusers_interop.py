"""Export to diffusers and back: same denoiser, same samples."""
import pytest
import torch
from mmengine import Config

from mmcm.apis import init_model
from mmcm.apis.diffusers_interop import (diffusers_unet_config,
                                         export_to_diffusers,
                                         import_from_diffusers)
from mmcm.registry import MODELS
from mmcm.apis import random_unet_state_dict

diffusers = pytest.importorskip('diffusers')

LSUN_LIKE = dict(use_scale_shift_norm=False, num_classes=None,
                 attention_resolutions=(32, 8))


def tiny_model(tmp_path, tiny_config, **unet):
    cfg = Config.fromfile(tiny_config)
    cfg.model.network.update(unet)
    path = tmp_path / 'unet.pt'
    torch.save(random_unet_state_dict(cfg.model.network, seed=3), path)
    config = tmp_path / 'model.py'
    cfg.dump(str(config))
    return init_model(str(config), str(path))


@pytest.fixture(params=['imagenet-like', 'lsun-like'])
def exported(request, tmp_path, tiny_config):
    unet = LSUN_LIKE if request.param == 'lsun-like' else {}
    model = tiny_model(tmp_path, tiny_config, **unet)
    folder = export_to_diffusers(model, str(tmp_path / 'pipe'))
    pipe = diffusers.ConsistencyModelPipeline.from_pretrained(folder)
    return model, pipe


def labels_for(model, num):
    return None if model.num_classes is None else torch.arange(num) % 3


def test_same_denoised_output(exported):
    model, pipe = exported
    scheduler, unet = pipe.scheduler, pipe.unet.eval()
    torch.manual_seed(0)
    x = torch.randn(2, 3, 32, 32) * 3
    labels = labels_for(model, 2)
    for value in (80.0, 2.5, 0.1):
        sigma = torch.full((2, ), value)
        ours = model.denoise(x, sigma, labels)
        c_skip, c_out = scheduler.get_scalings_for_boundary_condition(
            sigma[0])
        scaled = x / (value**2 + 0.5**2)**0.5
        # A float tensor: diffusers casts Python numbers to integers.
        timestep = torch.full((2, ), float(scheduler.sigma_to_t(value)))
        output = unet(scaled, timestep, class_labels=labels).sample
        theirs = c_skip * x + c_out * output
        torch.testing.assert_close(ours, theirs, atol=1e-4, rtol=0)


class ReplayGenerator:
    """Our sampler's noise source drawing what diffusers' generator does."""

    def __init__(self, seed):
        self.rng = torch.Generator().manual_seed(seed)

    def randn_like(self, x):
        return torch.randn(x.shape, generator=self.rng, dtype=x.dtype)


@pytest.mark.parametrize('ts', [(0, 39), (0, 22, 39)],
                         ids=['onestep', 'twostep'])
def test_same_one_and_two_step_samples(exported, ts):
    from mmcm.models.sampling import sample_multistep, sampler_sigmas
    model, pipe = exported
    torch.manual_seed(1)
    noise = torch.randn(2, 3, 32, 32)
    labels = labels_for(model, 2)
    diffusers_steps = [t for t in reversed(ts[:-1])]
    images = pipe(batch_size=2, class_labels=labels,
                  timesteps=diffusers_steps,
                  latents=noise, output_type='pt',  # scaled by sigma_max
                  generator=torch.Generator().manual_seed(7)).images
    theirs = torch.as_tensor(images)
    if theirs.shape[-1] == 3:
        theirs = theirs.permute(0, 3, 1, 2)

    def denoiser(x, sigma):
        return model.denoise(x, sigma, labels, clip_denoised=True)

    sigmas = sampler_sigmas('multistep', 40, 0.002, 80.0, ts=ts)
    ours = sample_multistep(denoiser, noise * 80.0, sigmas,
                            ReplayGenerator(7), 0.002)
    ours = (ours.clamp(-1, 1) + 1) / 2
    torch.testing.assert_close(ours, theirs, atol=1e-4, rtol=0)


def test_import_gives_back_the_official_checkpoint(tmp_path, tiny_config):
    model = tiny_model(tmp_path, tiny_config)
    folder = export_to_diffusers(model, str(tmp_path / 'pipe'))
    cfg, state = import_from_diffusers(folder)
    for key in ('image_size', 'model_channels', 'num_res_blocks',
                'num_classes', 'num_head_channels', 'use_scale_shift_norm'):
        assert cfg[key] == model.network_cfg[key], key
    assert tuple(cfg['channel_mult']) == tuple(model.unet.channel_mult)
    assert set(cfg['attention_resolutions']) == set(
        model.network_cfg['attention_resolutions'])
    rebuilt = MODELS.build(cfg)
    rebuilt.load_state_dict(state, strict=True)
    for key, value in model.unet.state_dict().items():
        assert torch.equal(state[key], value), key


def test_refuses_what_diffusers_cannot_express(tmp_path, tiny_config):
    model = tiny_model(tmp_path, tiny_config, resblock_updown=False)
    with pytest.raises(ValueError, match='resblock_updown=False'):
        diffusers_unet_config(model.unet)
    edm = tiny_model(tmp_path, tiny_config)
    edm.parameterisation = MODELS.build(dict(type='EDMParameterisation'))
    with pytest.raises(ValueError, match='EDMParameterisation'):
        export_to_diffusers(edm, str(tmp_path / 'edm'))


def test_convert_tool_export_then_import(tmp_path, tiny_config,
                                         tiny_checkpoint, capsys):
    import os.path as osp
    import sys

    from ..conftest import REPO
    sys.path.insert(0, osp.join(REPO, 'tools'))
    import convert_diffusers as tool
    out = tmp_path / 'pipe'
    assert tool.main(['export', tiny_config, tiny_checkpoint, str(out),
                      '--steps', '18']) == 0
    assert (out / 'unet' / 'config.json').exists()
    scheduler = diffusers.CMStochasticIterativeScheduler.from_pretrained(
        str(out), subfolder='scheduler')
    assert scheduler.config.num_train_timesteps == 18
    back = tmp_path / 'back.pt'
    assert tool.main(['import', str(out), str(back), '--config',
                      tiny_config]) == 0
    original = torch.load(tiny_checkpoint)
    restored = torch.load(back)
    assert set(original) == set(restored)
    assert all(torch.equal(original[k], restored[k]) for k in original)
    assert tool.main(['import', str(tmp_path / 'nothing'), str(back)]) == 1
    assert 'no diffusers folder' in capsys.readouterr().err
