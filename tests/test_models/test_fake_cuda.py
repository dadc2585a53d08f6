"""Every training recipe on the ``cuda`` device, without a GPU.

Each digits training config (``configs/consistency_models/train/*digits*``)
and ImageNet's continuous CD (whose loss differentiates through the JVP),
all with a small network, is built on the CPU, moved to ``cuda`` inside
PyTorch's ``FakeTensorMode`` (fake tensors carry a device, a shape and a
dtype but no data, and any op that mixes CPU and CUDA tensors raises, as it
would on a GPU). Each then runs ``train_step`` through two mmengine
optimizer wrappers (an ``OptimWrapper`` with RAdam, then a bf16
``MixedPrecisionOptimWrapper`` whose autocast is CUDA's), the averages
update, and one-step, two-step and (EDM, TrigFlow) Heun sampling. The
teachers of the distillation recipes and ECT's ``init_from`` are a random
checkpoint written here.

What this module replaces, and nothing else:

Data-dependent calls (a fake tensor has no values to branch on):

- ``check_finite`` of the model's ``loss``, the non-finite-loss guard
  (``if not torch.isfinite(loss)``): a no-op.
- ``bool(at_boundary.all())`` in ``ECTObjective._target`` (its shortcut
  when every sample sits at ``r = 0``): ``ect.bool`` answers ``False`` for
  a fake tensor, so the general ``torch.where`` path runs.
- ``float(sigmas[i])`` in the multistep and Heun samplers and their steps
  (a step's noise level as a Python number): ``samplers.float`` and
  ``steps.float`` answer ``1.0`` for a fake tensor.
- ``float(...)`` of the two parts of ``JointObjective``'s loss, which it
  logs as Python numbers: ``joint.float`` answers ``1.0`` for a fake
  tensor.
- In ``TCMObjective``: ``bool(...)`` of "any/all lower points below t'"
  and of the boundary mask, ``int(...)`` of the boundary count and the
  inverse transform of the Student-t draw (scipy, on the host):
  ``tcm.bool`` answers ``False`` (so the target network runs on the whole
  batch), ``tcm.int`` ``1``, and ``tcm.truncated_log_times`` returns
  ``1 + u`` on ``u``'s device.

Calls that need a CUDA driver, whatever the data:

- ``torch.cuda.get_rng_state`` and ``torch.cuda.set_rng_state``, which
  ``mmcm.utils.functional.rng_state`` / ``set_rng_state`` call to replay
  dropout masks: stubs that record the device, and the test checks that the
  objectives replaying masks save and restore the generator of ``cuda:0``.
- The backward pass: PyTorch's autograd engine needs a CUDA context for
  CUDA tensors (pytorch/pytorch#92627). ``OptimWrapper.backward`` walks
  the loss's autograd graph instead and gives every leaf it reaches a zero
  gradient on that leaf's device; the test checks that the loss reaches
  the online network and never the target network, EMAs or teacher.
- ``torch.cuda.is_available`` and ``torch.cuda.is_bf16_supported``:
  ``True`` during the bf16 step, so that ``torch.autocast('cuda')``
  enables.

``FakeTensorMode(allow_non_fake_inputs=True)``: under ``torch.func.jvp``
some forward-mode tensors reach the mode as plain tensors, which it then
converts; a CPU/CUDA mix raises all the same.
"""
import builtins
import importlib
import os
import os.path as osp

import pytest
import torch
from mmengine import Config
from mmengine.optim import build_optim_wrapper
from torch._subclasses.fake_tensor import FakeTensor, FakeTensorMode

from mmcm.apis import random_unet_state_dict
from mmcm.models.objectives import ect, joint, tcm
from mmcm.models.sampling import samplers, steps
from mmcm.models.unets.mp_layers import MPConv
from mmcm.registry import MODELS

from ..conftest import REPO

TRAIN = osp.join(REPO, 'configs', 'consistency_models', 'train')
DIGITS = sorted(name for name in os.listdir(TRAIN) if 'digits' in name)
# Continuous CD (its gradient flows through the JVP) has no digits recipe.
RECIPES = DIGITS + ['cm-cd-continuous_adm-unet_8xb256-600k_imagenet-64x64.py']
SMALL_MIXER = dict(num_blocks=2, hidden_dim=64)
CUDA = torch.device('cuda', 0)
consistency_model = importlib.import_module('mmcm.models.consistency_model')


def test_every_digits_recipe_is_covered():
    assert len(DIGITS) == 16, DIGITS


def small_model_cfg(name, tmp_path):
    """The recipe's model with a smaller network; its teacher and
    ``init_from`` a random official-format checkpoint."""
    cfg = Config.fromfile(osp.join(TRAIN, name)).model
    network, training = cfg.network, cfg.training
    if network.type == 'ADMUNet':  # one level, attention included
        network.update(model_channels=32, num_res_blocks=1,
                       channel_mult=(1, ), num_head_channels=32,
                       attention_resolutions=(network.image_size, ))
    elif network.type == 'EDM2UNet':  # one level, attention included
        network.update(model_channels=16, num_res_blocks=1,
                       channel_mult=(1, ), channels_per_head=16,
                       attention_resolutions=(network.image_size, ))
    else:
        network.update(SMALL_MIXER)
    checkpoint = str(tmp_path / 'random.pt')
    teacher = training.get('teacher')
    if teacher is not None or training.get('init_from'):
        source = (teacher or {}).get('network') or network
        torch.save(random_unet_state_dict(source, seed=1), checkpoint)
    if training.get('init_from'):
        training.init_from = checkpoint
    if teacher is not None:
        teacher.checkpoint = checkpoint
    return cfg


@pytest.fixture
def fake_cuda(monkeypatch):
    """The replacements of the module docstring; the list of the CUDA RNG
    calls, recorded as they come."""
    calls = []
    monkeypatch.setattr(consistency_model, 'check_finite',
                        lambda loss, network, iteration: None)
    for module in (ect, tcm):
        monkeypatch.setattr(
            module, 'bool', lambda v: False if isinstance(v, FakeTensor)
            else builtins.bool(v), raising=False)
    monkeypatch.setattr(
        tcm, 'int', lambda v: 1 if isinstance(v, FakeTensor) else
        builtins.int(v), raising=False)
    monkeypatch.setattr(tcm, 'truncated_log_times',
                        lambda uniform, *args, **kwargs: 1 + uniform)
    for module in (samplers, steps, joint):
        monkeypatch.setattr(
            module, 'float', lambda v: 1.0 if isinstance(v, FakeTensor) else
            builtins.float(v), raising=False)
    monkeypatch.setattr(
        torch.cuda, 'get_rng_state',
        lambda device='cuda': calls.append(('get', torch.device(device))) or
        'cuda rng state')
    monkeypatch.setattr(
        torch.cuda, 'set_rng_state',
        lambda state, device='cuda': calls.append(
            ('set', torch.device(device), state)))
    return calls


def graph_leaves(loss):
    """The leaf tensors (parameters) the loss's autograd graph reaches."""
    seen, stack, leaves = set(), [loss.grad_fn], []
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        if hasattr(node, 'variable'):  # AccumulateGrad
            leaves.append(node.variable)
        stack.extend(next_node for next_node, _ in node.next_functions)
    return leaves


def fake_backward(wrapper, reached):
    """``OptimWrapper.backward`` without the autograd engine: zero
    gradients for the leaves the graph reaches (recorded in ``reached``)."""

    def backward(loss, **kwargs):
        leaves = graph_leaves(loss)
        reached.extend(leaves)
        for leaf in leaves:
            leaf.grad = torch.zeros_like(leaf)
        wrapper._inner_count += 1

    return backward


def objective_of(model):
    return model.training_block.objective


def through_jvp(model):
    """Continuous CD's loss through the JVP, and any objective's in one
    pass: one float32 forward, the JVP's primal."""
    objective = objective_of(model)
    return (getattr(objective, 'variant', None) == 'l2-through-jvp'
            or getattr(objective, 'single_pass', False))


def replays_dropout(model):
    """Whether the objective replays the online network's dropout masks in
    a second forward: all but the diffusion losses and the one through the
    JVP."""
    diffusion = ('EDMObjective', 'TrigFlowObjective')
    return (type(objective_of(model)).__name__ not in diffusion
            and not through_jvp(model))


def tensors_of(module):
    return list(module.parameters()) + list(module.buffers())


def check_step(model, wrapper, data, amp):
    reached = []
    wrapper.backward = fake_backward(wrapper, reached)
    if amp:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(torch.cuda, 'is_available', lambda: True)
            patch.setattr(torch.cuda, 'is_bf16_supported',
                          lambda *args, **kwargs: True)
            dtypes = []
            hooks = [m.register_forward_hook(
                lambda module, args, output: dtypes.append(output.dtype))
                for m in model.unet.modules()
                if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear, MPConv))]
            logs = model.train_step(data, wrapper)
            for hook in hooks:
                hook.remove()
        # The network ran under autocast, but for the loss through the JVP,
        # which is float32 by design.
        assert (torch.bfloat16 in dtypes) != through_jvp(model)
    else:
        logs = model.train_step(data, wrapper)
    assert logs['loss'].device == CUDA and logs['loss'].shape == ()
    assert logs['loss'].dtype == torch.float32
    # The gradient reaches the online network, never a frozen one.
    trained = {id(p) for p in model.parameters() if p.requires_grad}
    reached_ids = {id(t) for t in reached}
    assert reached_ids and reached_ids <= trained
    assert reached_ids & {id(p) for p in model.unet.parameters()}
    frozen = [model.ema] + [getattr(model, n) for n in ('target_unet',
                                                        'teacher')
                            if getattr(model, n, None) is not None]
    for network in frozen:
        assert not reached_ids & {id(p) for p in network.parameters()}
    state = [v for s in wrapper.optimizer.state.values()
             for k, v in s.items() if k != 'step']
    assert state and all(v.device == CUDA for v in state)
    model.update_averages(0)


def build_wrapper(model, amp):
    cfg = dict(type='OptimWrapper', optimizer=dict(type='RAdam', lr=1e-4))
    if amp:
        cfg.update(type='MixedPrecisionOptimWrapper', dtype='bf16',
                   device_type='cuda')
    return build_optim_wrapper(model, cfg)


@pytest.mark.parametrize('name', RECIPES)
def test_trains_and_samples_on_cuda(name, tmp_path, fake_cuda):
    cfg = small_model_cfg(name, tmp_path)
    torch.manual_seed(0)
    model = MODELS.build(cfg).train()
    with FakeTensorMode(allow_non_fake_inputs=True):
        model.to('cuda')
        assert all(isinstance(t, FakeTensor) and t.device == CUDA
                   for t in tensors_of(model))
        shape = model.image_shape
        data = dict(inputs=dict(
            img=torch.randint(0, 256, (4, *shape), dtype=torch.uint8),
            labels=torch.arange(4)))
        for amp in (False, True):
            check_step(model, build_wrapper(model, amp), data, amp)
        labels = torch.tensor([3, 4])
        settings = [dict(sampler='onestep'),
                    dict(sampler='multistep', steps=12, ts=(0, 6, 11))]
        if model.sampling_cfg['sampler'] == 'heun':
            settings.append(dict(sampler='heun', steps=2))
        for setting in settings:
            images = model.sample(2, labels=labels, **setting)
            assert images.device == CUDA and images.shape == (2, *shape)
        assert all(t.device == CUDA for t in tensors_of(model))
    if replays_dropout(model):
        assert ('get', CUDA) in fake_cuda
        assert ('set', CUDA, 'cuda rng state') in fake_cuda
    assert all(call[1] == CUDA for call in fake_cuda)
