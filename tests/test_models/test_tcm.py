"""Truncated consistency models: the stage-2 time law, the boundary split,
the truncated target, the capped stage curriculum and the digits recipe
through the runner."""
import numpy as np
import pytest
import torch
from torch import nn

from mmcm.engine import inverse_sqrt_factor
from mmcm.models.curricula import StagedScales
from mmcm.models.objectives import (TCMObjective, boundary_mask,
                                    split_means_weights, truncated_log_times)
from mmcm.models.parameterisations import EDMParameterisation

from .parity import DenoiserParameterisation, run_objective


def test_truncated_student_t_quantiles():
    """Inverse transform by hand: the median of log t truncated to
    [0, log 80] under Student-t(0, 0.2, df) solves F(x) = (F(0) + F(b)) / 2.
    """
    stats = pytest.importorskip('scipy.stats')
    uniform = torch.tensor([0.0, 0.5, 1.0], dtype=torch.float64)
    times = truncated_log_times(uniform, 0.0, 0.2, 1.0, 80.0, 'student-t', 2.0)
    upper = stats.t(2.0).cdf(np.log(80.0) / 0.2)
    median = stats.t(2.0).ppf((0.5 + upper) / 2) * 0.2
    assert times.tolist() == pytest.approx([1.0, np.exp(median), 80.0],
                                           rel=1e-12)
    normal = truncated_log_times(uniform, -1.1, 2.0, 0.002, 80.0, 'normal')
    assert normal[0] == pytest.approx(0.002) and normal[2] == pytest.approx(
        80.0)


def test_boundary_mask_counts():
    torch.manual_seed(0)
    assert int(boundary_mask(64, 0.25).sum()) == 16
    assert int(boundary_mask(7, 0.25).sum()) == 1
    assert not boundary_mask(8, 0.0).any()
    torch.manual_seed(0)
    draws = torch.stack([boundary_mask(3, 0.25) for _ in range(2000)])
    assert float(draws.float().mean()) == pytest.approx(0.25, abs=0.03)


def test_split_weights_give_the_two_means():
    loss = torch.tensor([1.0, 2.0, 3.0, 10.0, 20.0], dtype=torch.float64)
    boundary = torch.tensor([False, False, False, True, True])
    weights = split_means_weights(boundary, 0.1)
    assert float((loss * weights).mean()) == pytest.approx(2.0 + 0.1 * 15.0)
    assert split_means_weights(torch.zeros(4, dtype=torch.bool),
                               0.1).tolist() == [1.0] * 4


class Constant(nn.Module):
    """``D(x, sigma) = value`` everywhere, with a trainable scale."""

    def __init__(self, value: float):
        super().__init__()
        self.value = value
        self.scale = nn.Parameter(torch.tensor(1.0, dtype=torch.float64))

    def forward(self, x, sigma, **kwargs):
        return torch.full_like(x, self.value) * self.scale


def test_target_below_the_transition_is_the_stage_one_model():
    """Hand-computed: online 0, target 1, stage-1 model 2; l2 distance over
    4 values, 1 / (t - r) weighting. t = 1.5 with N = 4 has r = 1.5 (1 -
    n(1.5) / 4) < 1 (stage-1 target), t = 40 has r > 1 (target), and the
    boundary sample t = 1 + 1e-8 goes below t' too; t = 1.2 with N = 2 has
    r = 0, whose target is the data (0)."""
    objective = TCMObjective(transition_t=1.0, boundary_weight=0.5,
                             distance='l2')
    x0 = torch.zeros(3, 1, 2, 2, dtype=torch.float64)
    t = torch.tensor([1.5, 40.0, 5.0], dtype=torch.float64)
    boundary = torch.tensor([False, False, True])
    networks = dict(target=Constant(1.0), teacher=Constant(2.0).eval())
    loss, logs = run_objective(
        objective, DenoiserParameterisation(), x0, Constant(0.0),
        num_scales=4, noise=torch.zeros_like(x0), t=t, boundary=boundary,
        **networks)
    t_used = torch.tensor([1.5, 40.0, 1 + 1e-8], dtype=torch.float64)
    gap = t_used * (1 + 8 * torch.sigmoid(-t_used)) / 4
    assert 0 < (t_used - gap)[0] < 1 < (t_used - gap)[1]
    targets = torch.tensor([2.0, 1.0, 2.0], dtype=torch.float64)
    per_sample = targets**2 / gap  # the mean squared error of 4 values
    expected = per_sample[:2].mean() + 0.5 * per_sample[2]
    assert float(loss.detach().mean()) == pytest.approx(float(expected),
                                                        rel=1e-12)
    assert logs['loss_boundary'] == pytest.approx(float(per_sample[2]))
    assert logs['loss_truncated'] == pytest.approx(
        float(per_sample[:2].mean()))
    assert not networks['teacher'].training  # restored
    at_zero, _ = run_objective(
        objective, DenoiserParameterisation(), x0[:1], Constant(0.0),
        num_scales=2, noise=torch.zeros_like(x0[:1]),
        t=torch.tensor([1.2], dtype=torch.float64),
        boundary=torch.tensor([False]), **networks)
    assert float(at_zero) == 0.0  # target x_0 = 0, online 0


def test_tcm_needs_the_stage_one_model_and_a_valid_split():
    with pytest.raises(ValueError, match='boundary_prob'):
        TCMObjective(boundary_prob=1.0)
    with pytest.raises(ValueError, match='time_distribution'):
        TCMObjective(time_distribution='cauchy')
    with pytest.raises(ValueError, match='sigma_max'):
        TCMObjective(transition_t=100.0).check(None, EDMParameterisation())
    x0 = torch.zeros(2, 1, 2, 2)
    with pytest.raises(ValueError, match='stage-1 model'):
        run_objective(TCMObjective(), EDMParameterisation(), x0,
                      Constant(0.0), target=Constant(0.0), num_scales=4)


def test_staged_scales_start_and_cap():
    scales = StagedScales(q=2, stage_iters=10, start_stage=2)
    assert [scales(k) for k in (0, 9, 10, 25)] == [8, 8, 16, 32]
    capped = StagedScales(q=4, stage_iters=10, start_stage=3,
                          ratio_limit=0.9961)
    assert capped(0) == 256  # 1 - 1/256 = 0.99609375 < 0.9961
    assert capped(10) == pytest.approx(1 / 0.0039, rel=1e-12)
    with pytest.raises(ValueError, match='ratio_limit'):
        StagedScales(ratio_limit=1.0)
    # A fractional N is ECT's and TCM's q^a, never a Karras grid's size.
    from mmcm.models.objectives import IndexSampler
    with pytest.raises(ValueError, match='whole number'):
        IndexSampler()(4, capped(10), 0.002, 80.0, 7.0, 'cpu')


def test_inverse_sqrt_learning_rate():
    """lr / sqrt(max((k + k0) / k_ref, 1)) through the runner's scheduler."""
    from mmcm.engine import InverseSqrtLR
    param = nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=0.4)
    scheduler = InverseSqrtLR(optimizer, ref_iters=4, start_iters=2)
    rates = []
    for _ in range(8):
        rates.append(optimizer.param_groups[0]['lr'])
        optimizer.step()
        scheduler.step()
    assert rates == pytest.approx(
        [0.4 * inverse_sqrt_factor(k, 4, 2) for k in range(8)])
    assert rates[:3] == pytest.approx([0.4] * 3)
    assert rates[6] == pytest.approx(0.4 / np.sqrt(2))
    # Starting later (begin), the count starts there too.
    optimizer = torch.optim.SGD([param], lr=0.4)
    later = InverseSqrtLR(optimizer, ref_iters=4, begin=3)
    rates = []
    for _ in range(8):
        rates.append(optimizer.param_groups[0]['lr'])
        optimizer.step()
        later.step()
    assert rates[3:] == pytest.approx(
        [0.4 * inverse_sqrt_factor(k, 4) for k in range(5)])


def test_digits_recipe_trains_resumes_and_samples(tmp_path):
    """Stage 2 from the bundled model through the runner: the student, its
    EMA and the stage-1 model start from the bundled weights; two
    iterations, a checkpoint, a resumed third; the stage-1 model stays
    frozen and out of the checkpoint."""
    import sys

    from mmengine import Config
    from mmengine.logging import MessageHub
    from mmengine.runner import Runner

    from mmcm.apis import init_model
    from mmcm.utils.checkpoint import load_unet_into
    from ..conftest import REPO
    bundled = f'{REPO}/checkpoints/cm-ct_digits-16x16.pt'

    def cfg_for(iterations):
        cfg = Config.fromfile(f'{REPO}/configs/consistency_models/train/'
                              'tcm_adm-unet_1xb64-1k_digits-16x16.py')
        cfg.model.training.teacher.checkpoint = bundled
        cfg.work_dir = str(tmp_path)
        cfg.train_dataloader.batch_size = 8
        cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=iterations)
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
        cfg.default_hooks.checkpoint = dict(type='CheckpointHook',
                                            interval=2, by_epoch=False)
        cfg.log_level = 'WARNING'
        return cfg

    runner = Runner.from_cfg(cfg_for(2))
    model = runner.model
    reference = type(model.unet)(**{
        k: v for k, v in cfg_for(2).model.network.items() if k != 'type'})
    load_unet_into(reference, bundled)
    for name, value in reference.state_dict().items():
        assert torch.equal(model.teacher.state_dict()[name], value), name
        assert torch.equal(model.unet.state_dict()[name], value), name
    runner.train()
    for name, value in reference.state_dict().items():
        assert torch.equal(model.teacher.state_dict()[name], value), name
    assert any(not torch.equal(model.unet.state_dict()[n], v)
               for n, v in reference.state_dict().items())
    checkpoint = torch.load(tmp_path / 'iter_2.pth', weights_only=False)
    assert not any(k.startswith('teacher.') for k in checkpoint['state_dict'])
    resumed = cfg_for(3)
    resumed.resume, resumed.load_from = True, str(tmp_path / 'iter_2.pth')
    runner = Runner.from_cfg(resumed)
    runner.train()
    assert runner.iter == 3
    # Export the EMA as an official .pt; the config samples from it as a
    # sampling model (its training block, stage-1 model included, dropped).
    sys.path.insert(0, f'{REPO}/tools')
    import export_official
    exported = tmp_path / 'tcm_digits.pt'
    assert export_official.main([str(tmp_path / 'iter_3.pth'),
                                 str(exported)]) == 0
    MessageHub.get_current_instance().update_info('iter', 0)
    sampler = init_model(cfg_for(3), str(exported))
    assert sampler.teacher is None and sampler.training_block is None
    ema = runner.model.ema.networks[-1].state_dict()
    assert all(torch.equal(sampler.unet.state_dict()[k], v.cpu())
               for k, v in ema.items())
    images = sampler.sample(2, labels=torch.tensor([0, 1]))
    assert images.shape == (2, 1, 16, 16) and images.abs().max() <= 1
