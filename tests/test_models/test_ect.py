"""Easy consistency tuning: the pair schedule, the loss, a few steps."""
import math

import pytest
import torch

from mmcm.apis.inference import sampling_model_cfg
from mmcm.models.curricula import StagedScales
from mmcm.models.objectives import ECTObjective, ect_lower_time
from mmcm.registry import MODELS

from .fixed_batch import train_on_batch, uint8_batch
from .parity import DenoiserParameterisation, run_objective

UNET = dict(type='ADMUNet', image_size=16, model_channels=32,
            num_res_blocks=1, attention_resolutions=(8, ),
            channel_mult=(1, 2), num_classes=10, num_head_channels=32,
            dropout=0.1)
EDM = dict(type='EDMParameterisation')
STAGES = dict(type='ConsistencyCurriculum',
              scales=dict(type='StagedScales', q=2, stage_iters=4),
              target_ema=dict(type='FixedTargetEMA', decay=0.0))


def test_stages_and_lower_times_by_hand():
    stages = StagedScales(q=2, stage_iters=100)
    assert [stages(k) for k in (0, 99, 100, 250)] == [2, 2, 4, 8]
    assert StagedScales(q=4, stage_iters=10)(25) == 64
    with pytest.raises(ValueError, match='q >= 2'):
        StagedScales(q=1)
    t = torch.tensor([0.5, 2.0, 80.0], dtype=torch.float64)
    # n(t) = 1 + 8 sigmoid(-t); r = t (1 - n(t) / 16)
    n = [1 + 8 / (1 + math.exp(v)) for v in (0.5, 2.0, 80.0)]
    expected = [v * (1 - m / 16) for v, m in zip((0.5, 2.0, 80.0), n)]
    torch.testing.assert_close(ect_lower_time(t, 16),
                               torch.tensor(expected, dtype=torch.float64))
    # The first stage of q = 2: 1 - n(t)/2 < 0 for small t, so r = 0.
    assert ect_lower_time(torch.tensor([0.1]), 2).item() == 0.0


def test_loss_of_a_hand_computed_case():
    objective = ECTObjective()  # l2 norm, 1 / (t - r)
    x0 = torch.tensor([[[[0.5]], [[-0.5]]]])  # (1, 2, 1, 1)
    z = torch.tensor([[[[1.0]], [[2.0]]]])
    t = torch.tensor([2.0])
    r = ect_lower_time(t, 16)

    def online(x, s):  # f(x, s) = x / (1 + s)
        return x / (1 + s[:, None, None, None])

    p = DenoiserParameterisation()
    loss, _ = run_objective(objective, p, x0, online, target=online,
                            num_scales=16, noise=z, t=t)
    f_t = (x0 + 2.0 * z) / 3.0
    f_r = (x0 + r * z) / (1 + r)
    expected = (f_t - f_r).flatten().norm() / (2.0 - r)
    torch.testing.assert_close(loss, expected.reshape(1))
    # r = 0: the target is the data itself.
    boundary, _ = run_objective(objective, p, x0, online, target=online,
                                num_scales=2, noise=z, t=torch.tensor([0.1]))
    torch.testing.assert_close(
        boundary, ((x0 + 0.1 * z) / 1.1 - x0).flatten().norm().reshape(1) /
        0.1)


def test_a_teacher_is_refused():
    """ECT starts the network from the diffusion model instead."""
    with pytest.raises(ValueError, match='training.teacher'):
        MODELS.build(dict(
            type='ConsistencyModel', network=UNET, parameterisation=EDM,
            training=dict(objective=dict(type='ECTObjective'),
                          curriculum=STAGES, teacher=dict())))


def test_tuning_starts_from_the_diffusion_model_and_trains(tmp_path):
    torch.manual_seed(0)
    edm = MODELS.build(dict(
        type='ConsistencyModel', network=UNET, parameterisation=EDM,
        training=dict(objective=dict(type='EDMObjective'),
                      averages=dict(ema_decays=(0.9, )))))
    path = tmp_path / 'edm.pth'
    torch.save(dict(state_dict=edm.state_dict()), path)
    torch.manual_seed(1)
    cfg = dict(
        type='ConsistencyModel', network=UNET, parameterisation=EDM,
        training=dict(objective=dict(type='ECTObjective'), curriculum=STAGES,
                      init_from=str(path),
                      averages=dict(ema_decays=(0.9, ))))
    model = MODELS.build(cfg).train()
    start = edm.ema.networks[-1].state_dict()
    for network in (model.unet, model.target_unet, model.ema.networks[0]):
        assert all(torch.equal(network.state_dict()[k], v)
                   for k, v in start.items())
    losses = train_on_batch(model, uint8_batch((8, 3, 16, 16), 10), 8,
                            lr=1e-3)
    assert all(math.isfinite(v) for v in losses)
    assert losses[-1] < losses[0], losses
    # The model that samples it has no training block, so no init_from.
    assert 'training' not in sampling_model_cfg(cfg)


TRAIN = 'configs/consistency_models/train'


@pytest.mark.parametrize('name, batch, iters, stage_iters, weighting, q', [
    ('ect_adm-unet_1xb32-1k_digits-16x16.py', 32, 1000, 250,
     'inverse-gap', 2),
    ('ect_adm-unet_8xb16-100k_imagenet-64x64.py', 16, 100000, 25000,
     'karras', 4),
    ('ect_adm-unet_8xb16-200k_cifar10-32x32.py', 16, 200000, 25000,
     'inverse-gap', 2),
])
def test_ect_recipes(name, batch, iters, stage_iters, weighting, q):
    from mmengine import Config

    from ..conftest import REPO
    cfg = Config.fromfile(f'{REPO}/{TRAIN}/{name}')
    assert cfg.train_dataloader.batch_size == batch
    assert cfg.train_cfg.max_iters == iters
    assert cfg.model.training.init_from  # tuned from a diffusion model
    cfg.model.training.init_from = None
    with torch.device('meta'):
        model = MODELS.build(cfg.model)
    assert type(model.parameterisation).__name__ == 'EDMParameterisation'
    block = model.training_block
    assert block.objective.weighting == weighting
    assert model.teacher is None
    # N = q^a, a one more per stage
    assert [block.curriculum(k * stage_iters)[1] for k in range(4)] == [
        q**(k + 1) for k in range(4)]
    stages = iters // stage_iters
    assert block.curriculum(iters - 1) == (0.0, q**stages)
