"""Training blocks of ConsistencyModel: CD, CT and EDM steps, averages,
teachers and checks."""
import pytest
import torch

from mmcm.apis import init_model
from mmcm.registry import MODELS

from .fixed_batch import train_on_batch, uint8_batch

UNET = dict(type='ADMUNet', image_size=16, model_channels=32,
            num_res_blocks=1, attention_resolutions=(8, ),
            channel_mult=(1, 2), num_classes=10, num_head_channels=32,
            use_scale_shift_norm=True, resblock_updown=True)
CT_CURRICULUM = dict(
    type='ConsistencyCurriculum',
    scales=dict(type='ProgressiveScales', start_scales=10, end_scales=10,
                total_steps=100),
    target_ema=dict(type='AdaptiveTargetEMA', start_ema=0.9))


def training_cfg(kind='ct', **kwargs) -> dict:
    training = dict(objective=dict(type='ConsistencyObjective',
                                   distance='l2'),
                    averages=dict(ema_decays=(0.9, )))
    if kind == 'ct':
        training['curriculum'] = CT_CURRICULUM
    elif kind == 'cd':
        training['teacher'] = dict()
    else:
        training['objective'] = dict(type='EDMObjective')
    return dict(training, **kwargs)


def build(kind='ct', **kwargs):
    torch.manual_seed(0)
    param = 'EDM' if kind == 'edm' else 'Consistency'
    cfg = dict(type='ConsistencyModel', network=UNET,
               parameterisation=dict(type=f'{param}Parameterisation'),
               training=training_cfg(kind, **kwargs))
    return MODELS.build(cfg).train()


def batch():
    return uint8_batch((8, 3, 16, 16), 10)


@pytest.mark.parametrize('kind', ['ct', 'cd', 'edm'])
def test_loss_falls_on_a_fixed_batch(kind):
    losses = train_on_batch(build(kind), batch(), 12)
    assert losses[-1] < 0.7 * losses[0], losses


def test_cd_student_target_and_emas_start_from_teacher():
    model = build('cd')
    teacher = model.teacher.state_dict()
    for network in (model.unet, model.target_unet, model.ema.networks[0]):
        state = network.state_dict()
        assert all(torch.equal(state[k], v) for k, v in teacher.items())
    assert not any(p.requires_grad for p in model.teacher.parameters())
    model.train()
    assert not model.teacher.training and model.target_unet.training


def test_target_and_ema_update_arithmetic():
    model = build('ct')
    with torch.no_grad():
        for p in model.unet.parameters():
            p.fill_(1.0)
        for p in list(model.target_unet.parameters()) + list(
                model.ema.parameters()):
            p.fill_(0.0)
    target_decay, _ = model.training_block.curriculum(3)
    model.update_averages(3)
    weight = model.target_unet.input_blocks[0][0].weight
    assert torch.allclose(weight, torch.full_like(weight, 1 - target_decay))
    ema_weight = model.ema.networks[0].input_blocks[0][0].weight
    assert torch.allclose(ema_weight, torch.full_like(ema_weight, 0.1))


def test_teacher_is_referenced_not_saved():
    model = build('cd')
    state = model.state_dict()
    assert not any(k.startswith('teacher.') for k in state)
    assert any(k.startswith('target_unet.') for k in state)
    assert any(k.startswith('ema.networks.0.') for k in state)
    build('cd').load_state_dict(state, strict=True)


def test_checkpoints_with_the_retired_averaged_iter_buffer_load():
    state = build('ct').state_dict()
    assert 'averaged_iter' not in state
    state['averaged_iter'] = torch.tensor(41)
    build('ct').load_state_dict(state, strict=True)


def test_non_finite_loss_names_the_iteration():
    model = build('ct')
    inputs = batch()['inputs']
    inputs['img'] = torch.full((8, 3, 16, 16), float('nan'))
    with pytest.raises(FloatingPointError, match='iteration 0'):
        model.loss(inputs)
    # Under fp16 autocast the dynamic loss scaler skips the step instead;
    # bf16 has no scaler, so it stops as float32 does.
    with torch.autocast('cpu', dtype=torch.float16):
        assert not torch.isfinite(model.loss(inputs)['loss'])
    with torch.autocast('cpu', dtype=torch.bfloat16), pytest.raises(
            FloatingPointError, match='iteration 0'):
        model.loss(inputs)


def test_training_checkpoint_samples_with_ema_weights(tmp_path, tiny_config):
    model = build('ct')
    with torch.no_grad():
        for p in model.ema.networks[0].parameters():
            p.add_(0.5)
    path = tmp_path / 'iter_1.pth'
    torch.save(dict(state_dict=model.state_dict()), path)
    from mmengine import Config
    cfg = Config(dict(model=dict(
        type='ConsistencyModel', network=UNET, training=training_cfg())))
    sampler = init_model(cfg, str(path))
    assert sampler.training_block is None
    loaded = sampler.unet.state_dict()
    ema = model.ema.networks[0].state_dict()
    assert all(torch.equal(loaded[k], ema[k]) for k in ema)


def test_cd_loads_an_official_edm_teacher(tiny_checkpoint, tiny_state_dict):
    from mmengine import Config

    from ..conftest import TINY_CONFIG
    cfg = Config.fromfile(TINY_CONFIG).model
    trainer = MODELS.build(dict(cfg, training=dict(
        objective=dict(type='ConsistencyObjective', distance='l2'),
        teacher=dict(checkpoint=tiny_checkpoint, dropout=0.1))))
    for network in (trainer.teacher, trainer.unet, trainer.target_unet):
        state = network.state_dict()
        assert all(torch.equal(state[k], v)
                   for k, v in tiny_state_dict.items())
    assert trainer.teacher.input_blocks[1][0].out_layers[2].p == 0.1
    teacher = trainer.parameterisation.diffusion_counterpart()
    assert type(teacher).__name__ == 'EDMParameterisation'


def test_update_average_is_the_official_per_tensor_update_bit_for_bit():
    from mmcm.models.averaging import frozen_copy, update_average
    online = MODELS.build(UNET)
    for parameter in online.parameters():
        parameter.data.normal_()
    average, official = frozen_copy(online), frozen_copy(online)
    online = online.to(memory_format=torch.channels_last)  # mixed strides
    for parameter in online.parameters():
        parameter.data.add_(torch.randn_like(parameter))
    update_average(average, online, 0.9999432189950708)
    with torch.no_grad():  # the official update_ema
        for targ, src in zip(official.parameters(), online.parameters()):
            targ.mul_(0.9999432189950708).add_(src,
                                               alpha=1 - 0.9999432189950708)
    for a, b in zip(average.parameters(), official.parameters()):
        assert torch.equal(a, b)
    assert not torch.equal(next(average.parameters()),
                           next(online.parameters()))


def test_training_blocks_build_only_the_networks_their_objective_runs():
    edm = build('edm')
    assert not hasattr(edm, 'target_unet') and edm.teacher is None
    assert edm.training_block.curriculum is None
    assert edm.training_networks() == [edm.unet]
    cd = build('cd')
    assert cd.training_networks() == [cd.unet, cd.target_unet, cd.teacher]
    assert cd.averaged_networks() == list(cd.ema.networks)


def test_training_block_refuses_what_its_objective_cannot_use():
    with pytest.raises(ValueError, match='training.teacher'):
        build('ct', objective=dict(type='ECTObjective'), teacher=dict())
    with pytest.raises(ValueError, match='training.log_variance'):
        build('ct', log_variance=dict())
    with pytest.raises(ValueError, match='TrigFlowParameterisation'):
        build('ct', objective=dict(type='SCMObjective'))
    with pytest.raises(ValueError, match='training.acceleration'):
        build('ct', acceleration=dict(fast=True))
    with pytest.raises(ValueError, match='sample_with'):
        build('ct', averages=dict(sample_with='target'))


def test_a_sampling_model_has_no_training_block():
    model = MODELS.build(dict(type='ConsistencyModel', network=UNET))
    assert model.training_block is None and model.averaged_networks() == []
    with pytest.raises(ValueError, match='samples only'):
        model.loss(batch()['inputs'])
