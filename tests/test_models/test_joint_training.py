"""Joint consistency + diffusion training on a shared two-head UNet."""
import math

import pytest
import torch
from mmengine import Config
from mmengine.logging import MessageHub
from mmengine.optim import build_optim_wrapper

from mmcm.apis import init_model
from mmcm.registry import MODELS

from ..conftest import REPO

JOINT_DIGITS = (f'{REPO}/configs/consistency_models/train/'
                'cm-ict-joint_adm-unet_1xb32-1k_digits-16x16.py')


def small_joint_model():
    cfg = Config.fromfile(JOINT_DIGITS)
    cfg.model.network.update(num_res_blocks=1, channel_mult=(1, 2))
    torch.manual_seed(0)
    return cfg, MODELS.build(cfg.model).train()


def digits_batch():
    rng = torch.Generator().manual_seed(0)
    img = torch.randint(0, 256, (8, 1, 16, 16), generator=rng,
                        dtype=torch.uint8)
    return dict(inputs=dict(img=img, labels=torch.arange(8)))


def train(model, steps):
    wrapper = build_optim_wrapper(
        model, dict(type='OptimWrapper', optimizer=dict(type='Adam',
                                                        lr=2e-3)))
    hub, logs = MessageHub.get_current_instance(), []
    for step in range(steps):
        hub.update_info('iter', step)
        torch.manual_seed(3)
        logs.append({k: v.item() for k, v in model.train_step(
            digits_batch(), wrapper).items()})
        model.update_averages(step)
    hub.update_info('iter', 0)
    return logs


def test_heads_share_the_torso():
    _, model = small_joint_model()
    unet = model.unet
    assert set(unet.out.state_dict()) == set(unet.diffusion_out.state_dict())
    x, t = torch.randn(2, 1, 16, 16), torch.tensor([1.0, 2.0])
    y = torch.tensor([1, 2])
    torch.nn.init.normal_(unet.diffusion_out[-1].weight)
    consistency = unet(x, t, y)
    diffusion = unet(x, t, y, head='diffusion')
    assert not torch.allclose(consistency, diffusion)
    # A torso change moves both heads.
    with torch.no_grad():
        unet.input_blocks[0][0].bias.add_(1.0)
    assert not torch.allclose(unet(x, t, y, head='diffusion'), diffusion)
    with pytest.raises(ValueError, match='head must be one of'):
        unet(x, t, y, head='edm')


def test_joint_loss_is_the_weighted_sum_and_falls():
    _, model = small_joint_model()
    objective = model.training_block.objective
    assert type(objective).__name__ == 'JointObjective'
    assert type(objective.consistency).__name__ == 'ConsistencyObjective'
    assert type(objective.diffusion).__name__ == 'EDMObjective'
    assert objective.diffusion_weight == 1.0
    logs = train(model, 12)
    first = logs[0]
    assert first['loss'] == pytest.approx(
        first['loss_consistency'] + first['loss_diffusion'], rel=1e-5)
    assert all(math.isfinite(log['loss']) for log in logs)
    assert logs[-1]['loss_diffusion'] < 0.95 * first['loss_diffusion']
    assert logs[-1]['loss'] < 0.8 * first['loss']
    # The zero-initialised diffusion head has been trained.
    assert model.unet.diffusion_out[-1].weight.abs().max() > 0


def test_no_diffusion_head_is_a_clear_error():
    cfg = Config.fromfile(JOINT_DIGITS)
    cfg.model.network.diffusion_head = False
    with pytest.raises(ValueError, match='diffusion_head=True'):
        MODELS.build(cfg.model)


def test_both_heads_sample_from_one_checkpoint(tmp_path):
    cfg, model = small_joint_model()
    train(model, 2)
    path = tmp_path / 'joint.pth'
    torch.save(dict(state_dict=model.state_dict()), path)
    cfg.dump(str(tmp_path / 'joint.py'))
    consistency = init_model(str(tmp_path / 'joint.py'), str(path))
    diffusion = init_model(
        str(tmp_path / 'joint.py'), str(path),
        cfg_options={'model.network.output_head': 'diffusion',
                     'model.parameterisation.type': 'EDMParameterisation'})
    labels = torch.tensor([1, 2])
    one_step = consistency.sample(2, labels=labels, seed=0)
    heun = diffusion.sample(2, labels=labels, seed=0, sampler='heun',
                            steps=6)
    assert one_step.shape == heun.shape == (2, 1, 16, 16)
    assert not torch.allclose(one_step, heun)
    ema = model.ema.networks[-1]
    for name, value in diffusion.unet.state_dict().items():
        assert torch.equal(value, ema.state_dict()[name])
