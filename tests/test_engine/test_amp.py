"""Mixed precision: every digits recipe steps in bf16 as in fp32, and an
fp16 overflow is skipped without touching weights, EMAs or target."""
import os.path as osp

import pytest
import torch
from mmengine import Config
from mmengine.hooks import Hook
from mmengine.logging import MessageHub
from mmengine.optim import build_optim_wrapper
from mmengine.runner import Runner

from mmcm.registry import MODELS
from ..conftest import REPO
from ..test_models.fixed_batch import uint8_batch
from .test_resume_and_distributed import CONFIG

TRAIN = osp.join(REPO, 'configs', 'consistency_models', 'train')
RECIPES = [
    'edm_adm-unet_1xb32-1k_digits-16x16.py',
    'cm-ct_adm-unet_1xb64-1k_digits-16x16.py',
    'cm-ict_adm-unet_1xb32-1k_digits-16x16.py',
    'ect_adm-unet_1xb32-1k_digits-16x16.py',
    'cm-cd-l2_adm-unet_1xb32-1k_digits-16x16.py',
    'cm-ct-continuous_adm-unet_1xb32-1k_digits-16x16.py',
    'cm-ict-joint_adm-unet_1xb32-1k_digits-16x16.py',
    'trigflow_adm-unet_1xb32-1k_digits-16x16.py',
    'scm-sct_adm-unet_1xb32-1k_digits-16x16.py',
    'scm-scd_adm-unet_1xb32-1k_digits-16x16.py',
]


def build_recipe(name, acceleration=None, **network):
    """The recipe's model with a smaller ADM UNet (updated by
    ``network``), random teachers and the training ``acceleration``."""
    model = Config.fromfile(osp.join(TRAIN, name)).model
    if model.network.get('type') == 'ADMUNet':
        model.network.update(num_res_blocks=1, channel_mult=(1, 2),
                             **network)
    training = model.training
    training.pop('init_from', None)
    if training.get('teacher'):
        training.teacher.checkpoint = None
        if training.teacher.get('network'):
            training.teacher.network.update(num_res_blocks=1,
                                            channel_mult=(1, 2))
    if acceleration is not None:
        training.acceleration = acceleration
    torch.manual_seed(0)
    trainer = MODELS.build(model).train()
    # Zero-initialised output layers would hide the networks' precision
    # (the loss would not depend on them): give them weights, drawn in the
    # logical order whatever the memory format (channels-last).
    for parameter in trainer.parameters():
        if not parameter.detach().any():
            parameter.data.copy_(torch.empty(
                parameter.shape, dtype=parameter.dtype).normal_(0, 0.05))
    return trainer


def losses_of(trainer, dtype, steps=2):
    wrapper = dict(type='OptimWrapper', optimizer=dict(type='RAdam', lr=1e-4))
    if dtype == 'official-fp16':
        wrapper.update(type='OfficialFP16OptimWrapper')
    elif dtype != 'fp32':
        wrapper.update(type='MixedPrecisionOptimWrapper', dtype=dtype)
    wrapper = build_optim_wrapper(trainer, wrapper)
    data = uint8_batch((8, 1, 16, 16), 10)
    hub, losses = MessageHub.get_current_instance(), []
    for step in range(steps):
        hub.update_info('iter', step)
        torch.manual_seed(100 + step)
        losses.append(trainer.train_step(data, wrapper)['loss'].item())
        trainer.update_averages(step)
    hub.update_info('iter', 0)
    return losses


@pytest.mark.parametrize('name', RECIPES)
def test_bf16_steps_follow_fp32(name):
    fp32_trainer, bf16_trainer = build_recipe(name), build_recipe(name)
    fp32 = losses_of(fp32_trainer, 'fp32')
    bf16 = losses_of(bf16_trainer, 'bf16')
    # bf16 keeps 8 bits of mantissa; measured: within 0.4% on every trainer.
    assert bf16 == pytest.approx(fp32, rel=0.01, abs=1e-4), (fp32, bf16)
    # The networks did run in bf16: their gradients, and so the weights,
    # differ. (sCM's loss value is w ||g||^2 / D with g from the float32
    # JVP: it need not differ.)
    assert _sum(bf16_trainer.unet) != _sum(fp32_trainer.unet)
    if not name.startswith('scm-'):
        assert bf16 != fp32


class PlantOverflow(Hook):
    """At iteration ``at``, make one gradient infinite; record the weights
    of every network before the iteration and after the averages hook."""

    priority = 'LOW'

    def __init__(self, at):
        self.at, self.sums, self.skipped = at, {}, None

    @staticmethod
    def _sums(runner):
        model = runner.model
        return dict(online=_sum(model.unet), target=_sum(model.target_unet),
                    ema=_sum(model.ema))

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter == self.at:
            self.sums['before'] = self._sums(runner)
            first = next(runner.model.unet.parameters())
            self._handle = first.register_hook(
                lambda grad: grad * float('inf'))

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        if runner.iter == self.at:
            self._handle.remove()
            self.sums['after'] = self._sums(runner)
            self.skipped = runner.optim_wrapper.step_skipped
        elif runner.iter == self.at + 1:
            self.sums['next'] = self._sums(runner)


def _sum(network):
    return sum(float(p.detach().double().sum()) for p in network.parameters())


def train_with_planted_overflow(cfg, work_dir):
    """Four iterations of ``cfg``, an overflow planted at the third; the
    runner, the planting hook and the loss scale after each iteration."""
    cfg.train_cfg.max_iters = 4
    cfg.work_dir = str(work_dir)
    runner = Runner.from_cfg(cfg)
    plant = PlantOverflow(at=2)
    runner.register_hook(plant)
    scale = []
    runner.register_hook(type('Scale', (Hook, ), dict(
        priority='LOWEST', after_train_iter=lambda self, r, *a, **k:
        scale.append(r.optim_wrapper.scaler.get_scale())))())
    runner.train()
    assert plant.skipped is True
    assert plant.sums['after'] == plant.sums['before']  # nothing moved
    assert plant.sums['next'] != plant.sums['after']  # training goes on
    return runner, scale


def test_fp16_overflow_is_skipped_without_touching_any_network(tmp_path):
    cfg = Config.fromfile(CONFIG)
    cfg.optim_wrapper.update(type='MixedPrecisionOptimWrapper', dtype='fp16')
    _, scale = train_with_planted_overflow(cfg, tmp_path)
    assert scale[2] == scale[1] / 2  # the loss scale backed off once


def test_master_weights_compute_as_the_official_fp16_network():
    unet = dict(type='ADMUNet', image_size=16, in_channels=1, out_channels=1,
                model_channels=32, num_res_blocks=1, channel_mult=(1, 2),
                attention_resolutions=(8, ), num_head_channels=16,
                num_classes=10)
    torch.manual_seed(0)
    reference = MODELS.build(unet)
    for parameter in reference.parameters():
        parameter.data.normal_(0, 0.05)
    official = MODELS.build(dict(unet, use_fp16=True))
    official.load_state_dict(reference.state_dict())
    master = MODELS.build(dict(unet, use_fp16=True)).keep_master_weights()
    master.load_state_dict(reference.state_dict())
    assert {p.dtype for p in master.parameters()} == {torch.float32}
    assert torch.float16 in {p.dtype for p in official.parameters()}
    x, t = torch.randn(4, 1, 16, 16), torch.rand(4) * 10
    y = torch.arange(4)
    out = master(x, t, y)
    assert torch.equal(out, official(x, t, y))  # the same float16 torso
    assert not torch.equal(out, reference(x, t, y))
    out.square().sum().backward()
    assert all(p.grad.dtype == torch.float32 for p in master.parameters()
               if p.grad is not None)
    assert master.state_dict().keys() == reference.state_dict().keys()


def test_official_fp16_steps_follow_fp32():
    name = 'cm-ct_adm-unet_1xb64-1k_digits-16x16.py'
    fp32 = losses_of(build_recipe(name), 'fp32')
    trainer = build_recipe(name, use_fp16=True)
    assert trainer.unet.dtype == torch.float16
    assert {p.dtype for p in trainer.parameters()} == {torch.float32}
    fp16 = losses_of(trainer, 'official-fp16')
    assert fp16 == pytest.approx(fp32, rel=0.01, abs=1e-4), (fp32, fp16)
    assert fp16 != fp32


def test_official_fp16_scale_schedule_and_overflow(tmp_path):
    cfg = Config.fromfile(CONFIG)
    cfg.model.network.use_fp16 = True
    cfg.optim_wrapper.type = 'OfficialFP16OptimWrapper'
    runner, scale = train_with_planted_overflow(cfg, tmp_path)
    # lg_loss_scale: 20, + 0.001 per step, - 1 on the overflow.
    expected = [2**20.001, 2**20.002, 2**19.002, 2**19.003]
    assert scale == pytest.approx(expected, rel=1e-6)
    assert runner.model.ema.networks[0].input_blocks[0][0].weight.dtype == (
        torch.float32)


@pytest.mark.parametrize('cuda, cuda_bf16, cpu_bf16, expected', [
    (True, True, False, 'bf16'), (True, False, False, 'fp16'),
    (False, False, True, 'bf16'), (False, False, False, None)])
def test_amp_auto_picks_what_the_device_computes(monkeypatch, cuda,
                                                 cuda_bf16, cpu_bf16,
                                                 expected):
    from mmcm.engine import amp
    from tools.train import build_config, parse_args
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: cuda)
    monkeypatch.setattr(torch.cuda, 'is_bf16_supported', lambda: cuda_bf16)
    monkeypatch.setattr(amp, 'cpu_computes',
                        lambda dtype: cpu_bf16 and dtype == 'bf16')
    assert amp.default_amp_dtype() == expected
    wrapper = build_config(parse_args([CONFIG, '--amp'])).optim_wrapper
    if expected is None:  # float32: the config's own wrapper
        assert wrapper.get('type', 'OptimWrapper') == 'OptimWrapper'
    else:
        assert (wrapper.type, wrapper.dtype) == (
            'MixedPrecisionOptimWrapper', expected)


def test_cpu_computes_nothing_reduced_on_an_avx2_cpu():
    from mmcm.engine.amp import cpu_computes
    if torch.backends.cpu.get_cpu_capability() in ('DEFAULT', 'AVX2'):
        assert not cpu_computes('bf16') and not cpu_computes('fp16')
    with pytest.raises(KeyError):
        cpu_computes('fp8')
