"""Configs and checkpoints of the earlier layout (trainer types, ``unet``,
``preconditioner``, training keys at the top level) keep working."""
import json
import os.path as osp
import sys

import pytest
import torch

from mmcm.models import upgrade_config
from mmcm.registry import MODELS

from .fixed_batch import uint8_batch

LEGACY = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'data',
                  'legacy')
UNET = dict(type='ADMUNet', image_size=8, model_channels=32,
            num_res_blocks=1, attention_resolutions=(), channel_mult=(1, ),
            num_classes=10, num_head_channels=32)


def test_upgrade_moves_every_key_and_names_the_new_one():
    old = dict(type='TrigFlowTrainer', unet=UNET, sigma_max=40.0,
               preconditioner=dict(type='TrigFlowPreconditioner',
                                   time_scale=2.0),
               objective=dict(type='SCMObjective'), ema_decays=(0.9, ),
               sample_with='online', teacher=dict(unet=UNET),
               log_variance_embedding='sinusoidal')
    with pytest.warns(FutureWarning, match='model.sigma_max is now '
                      'model.parameterisation.sigma_max'):
        new = upgrade_config(old)
    assert new == dict(
        type='ConsistencyModel', network=UNET,
        parameterisation=dict(type='TrigFlowParameterisation',
                              time_scale=2.0, sigma_max=40.0),
        training=dict(objective=dict(type='SCMObjective'),
                      averages=dict(ema_decays=(0.9, ),
                                    sample_with='online'),
                      teacher=dict(network=UNET),
                      log_variance=dict(embedding='sinusoidal')))


def test_upgrade_of_joint_and_edm_trainers():
    joint = upgrade_config(dict(type='JointConsistencyTrainer', unet=UNET,
                                diffusion_weight=0.5))
    assert joint['training']['objective'] == dict(
        type='JointObjective', consistency=dict(type='ConsistencyObjective'),
        diffusion=dict(type='EDMObjective'), diffusion_weight=0.5)
    edm = upgrade_config(dict(type='EDMTrainer', unet=UNET))
    assert edm['parameterisation'] == dict(type='EDMParameterisation')
    assert edm['training'] == dict(objective=dict(type='EDMObjective'))
    sampling = upgrade_config(dict(type='ConsistencyModel', unet=UNET))
    assert sampling['training'] is None
    other = dict(type='SomeoneElsesModel', unet=UNET)
    assert upgrade_config(other) == other


def test_old_keys_over_a_config_of_today_override_it():
    """``--cfg-options model.unet.dropout=0.1 model.preconditioner.type=
    EDMPreconditioner`` on a config of today."""
    with pytest.warns(FutureWarning, match='model.unet is now model.network'):
        new = upgrade_config(dict(
            network=UNET, unet=dict(dropout=0.1),
            parameterisation=dict(type='ConsistencyParameterisation',
                                  sigma_max=40.0),
            preconditioner=dict(type='EDMPreconditioner')))
    assert new['network'] == dict(UNET, dropout=0.1)
    assert new['parameterisation'] == dict(type='EDMParameterisation',
                                           sigma_max=40.0)
    with pytest.raises(TypeError, match="unknown ConsistencyModel keys "
                       r"\['sigma_maximum'\]"):
        MODELS.build(dict(type='ConsistencyModel', network=UNET,
                          sigma_maximum=80.0))
    with pytest.raises(ValueError, match='model.training.log_variance'):
        upgrade_config(dict(type='ConsistencyModel', network=UNET,
                            adaptive_weighting=True))


def test_a_trainer_type_builds_the_model_of_the_new_layout():
    """Same weights, same networks, same loss on the same batch."""
    losses, keys = [], []
    for cfg in (dict(type='ConsistencyTrainer', unet=UNET, teacher=dict(),
                     objective=dict(type='ConsistencyObjective',
                                    distance='l2')),
                dict(type='ConsistencyModel', network=UNET, training=dict(
                    teacher=dict(), objective=dict(
                        type='ConsistencyObjective', distance='l2')))):
        torch.manual_seed(0)
        model = MODELS.build(cfg)
        inputs = model.data_preprocessor(uint8_batch((4, 3, 8, 8), 10),
                                         True)['inputs']
        torch.manual_seed(1)
        losses.append(model.loss(inputs)['loss'].item())
        keys.append(sorted(model.state_dict()))
    assert losses[0] == losses[1] and keys[0] == keys[1]
    assert any(k.startswith('target_unet.') for k in keys[0])


@pytest.mark.parametrize('recipe', ['cm-ct', 'scm-sct'])
def test_checkpoints_of_the_trainer_classes_resume(recipe, tmp_path):
    """``tests/data/legacy``: checkpoints written by the trainer classes
    (see its README) resume in the recipe configs of today to the loss and
    weights those classes reached."""
    sys.path.insert(0, LEGACY)
    try:
        from make_checkpoints import resumed_values
    finally:
        sys.path.remove(LEGACY)
    with open(osp.join(LEGACY, 'values.json')) as f:
        expected = json.load(f)[recipe]
    got = resumed_values(recipe, osp.join(LEGACY, f'{recipe}_iter_2.pth'),
                         str(tmp_path))
    assert got['loss'] == pytest.approx(expected['loss'], rel=1e-5)
    assert got['weight_sum'] == pytest.approx(expected['weight_sum'],
                                              rel=1e-7)
