"""Training with channels-last networks and torch.compile: the same losses
and weights as eager contiguous training, checkpoints with the same keys."""
import os.path as osp

import pytest
import torch

from mmcm.registry import MODELS
from ..conftest import REPO
from .test_amp import build_recipe, losses_of

CHANNELS_LAST_RECIPES = [
    'cm-ct_adm-unet_1xb64-1k_digits-16x16.py',
    'cm-cd-l2_adm-unet_1xb32-1k_digits-16x16.py',
    'scm-sct_adm-unet_1xb32-1k_digits-16x16.py',
]


def accelerated(name, **options):
    return build_recipe(name, acceleration=options)


def first_conv(network):
    return next(m for m in network.modules()
                if isinstance(m, torch.nn.Conv2d) and m.kernel_size == (3, 3))


@pytest.mark.parametrize('name', CHANNELS_LAST_RECIPES)
def test_channels_last_steps_follow_contiguous(name):
    eager = build_recipe(name)
    fast = accelerated(name, channels_last=True)
    for network in fast.training_networks():
        assert first_conv(network).weight.is_contiguous(
            memory_format=torch.channels_last)
    assert losses_of(fast, 'fp32', steps=3) == pytest.approx(
        losses_of(eager, 'fp32', steps=3), rel=1e-4)
    for a, b in zip(eager.unet.parameters(), fast.unet.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-6)
    assert fast.state_dict().keys() == eager.state_dict().keys()


def test_compiled_ct_steps_follow_eager():
    # aot_eager: dynamo's graph capture and AOT autograd, the path of every
    # backend, without inductor's C++ kernel builds (minutes on a CPU).
    name = 'cm-ct_adm-unet_1xb64-1k_digits-16x16.py'
    eager = build_recipe(name)
    fast = accelerated(name, compile='aot_eager', channels_last=True)
    assert fast.unet._compiled_call_impl is not None
    assert fast.target_unet._compiled_call_impl is not None
    assert fast.ema.networks[0]._compiled_call_impl is None  # stays eager
    assert losses_of(fast, 'fp32', steps=2) == pytest.approx(
        losses_of(eager, 'fp32', steps=2), rel=1e-4)
    assert fast.state_dict().keys() == eager.state_dict().keys()


def test_unknown_acceleration_is_refused():
    network = dict(type='ADMUNet', image_size=8, in_channels=1,
                   model_channels=32, num_res_blocks=1, out_channels=1,
                   attention_resolutions=(), channel_mult=(1, ))
    training = dict(objective=dict(type='ConsistencyObjective',
                                   distance='l2'))
    with pytest.raises(ValueError, match='unknown training.acceleration'):
        MODELS.build(dict(type='ConsistencyModel', network=network,
                          training=dict(training,
                                        acceleration=dict(fuse=True))))


def test_train_tool_flags_reach_the_training_block():
    import sys
    sys.path.insert(0, REPO)
    from tools.train import build_config, parse_args
    config = osp.join(REPO, 'configs', 'consistency_models', 'train',
                      'cm-ct_adm-unet_1xb64-1k_digits-16x16.py')
    cfg = build_config(parse_args([config, '--compile', '--channels-last']))
    assert cfg.model.training.acceleration == dict(compile=True,
                                                   channels_last=True)
    plain = build_config(parse_args([config])).model
    assert 'acceleration' not in plain.training
