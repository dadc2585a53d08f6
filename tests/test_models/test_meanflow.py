"""MeanFlow: its time pairs, parameterisation, network input and training
and sampling through ConsistencyModel."""
import pytest
import torch

from mmcm.models.objectives import MeanFlowObjective, meanflow_time_pair
from mmcm.models.parameterisations import MeanFlowParameterisation
from mmcm.registry import MODELS

from .fixed_batch import train_on_batch, uint8_batch
from .parity import run_objective

NETWORK = dict(type='ADMUNet', image_size=8, in_channels=1, out_channels=1,
               model_channels=32, num_res_blocks=1,
               attention_resolutions=(4, ), channel_mult=(1, 2),
               num_classes=10, num_head_channels=32, num_time_inputs=2)


def test_time_pairs_by_hand():
    t = torch.tensor([0.2, 0.9, 0.5])
    r = torch.tensor([0.6, 0.1, 0.3])
    same = torch.tensor([False, False, True])
    t0, r0 = meanflow_time_pair(t, r, same, 'v0')  # order, then r = t
    assert t0.tolist() == pytest.approx([0.6, 0.9, 0.5])
    assert r0.tolist() == pytest.approx([0.2, 0.1, 0.5])
    t1, r1 = meanflow_time_pair(t, r, same, 'v1')  # r = t, then min
    assert t1.tolist() == pytest.approx([0.2, 0.9, 0.5])
    assert r1.tolist() == pytest.approx([0.2, 0.1, 0.5])


def test_parameterisation_is_the_jump_to_zero():
    p = MeanFlowParameterisation(time_scale=10.0)
    seen = {}

    def network(z, time_inputs):
        seen['inputs'] = time_inputs
        return torch.full_like(z, 2.0)

    z, t = torch.ones(2, 1, 2, 2), torch.tensor([1.0, 0.25])
    out = p(network, z, t)  # z - t u(z, 0, t)
    assert out[:, 0, 0, 0].tolist() == [-1.0, 0.5]
    assert seen['inputs'].tolist() == [[10.0, 10.0], [2.5, 2.5]]
    p.mean_velocity(network)(z, t, torch.tensor([0.5, 0.0]))
    assert seen['inputs'].tolist() == [[10.0, 5.0], [2.5, 2.5]]


def test_two_time_inputs_of_the_unet():
    torch.manual_seed(0)
    unet = MODELS.build(NETWORK)
    assert unet.time_embed[0].in_features == 2 * 32
    x, y = torch.randn(2, 1, 8, 8), torch.tensor([1, 2])
    times = torch.tensor([[500.0, 250.0], [100.0, 0.0]])
    assert unet(x, times, y).shape == x.shape
    with pytest.raises(ValueError, match=r'\(N, 2\)'):
        unet(x, times[:, 0], y)


def test_loss_without_a_gap_is_flow_matching():
    """With r = t, u_tgt = v: the loss is ||u - v||^2 / (||u - v||^2 +
    eps)^p."""
    p = MeanFlowParameterisation()

    def network(z, time_inputs):
        return torch.zeros_like(z)

    x, noise = torch.zeros(2, 1, 2, 2), torch.ones(2, 1, 2, 2)
    t = torch.tensor([0.3, 0.7])
    loss, logs = run_objective(MeanFlowObjective(norm_p=0.5, norm_eps=0.0),
                               p, x, network, noise=noise, t=t, r=t)
    # ||0 - (e - x)||^2 = 4 per sample, over sqrt(4)
    assert loss.tolist() == pytest.approx([2.0, 2.0])
    assert float(logs['flow_matching_fraction']) == 1.0


def build_model():
    torch.manual_seed(0)
    return MODELS.build(dict(
        type='ConsistencyModel', network=NETWORK,
        parameterisation=dict(type='MeanFlowParameterisation'),
        training=dict(objective=dict(type='MeanFlowObjective'),
                      averages=dict(ema_decays=(0.9, ),
                                    sample_with='online')),
        sampling_cfg=dict(clip_denoised=False)))


def test_meanflow_trains_and_samples_in_one_step():
    model = build_model()
    assert model.training_block.curriculum is None
    assert not hasattr(model, 'target_unet')
    losses = train_on_batch(model.train(), uint8_batch((8, 1, 8, 8), 10), 12)
    assert losses[-1] < 0.8 * losses[0], losses
    model.eval()
    labels = torch.tensor([3, 4])
    torch.manual_seed(0)  # the dummy generator draws from torch's RNG
    images = model.sample(2, labels=labels, generator='dummy')
    torch.manual_seed(0)  # x_T = sigma_max e = e
    noise = torch.randn(2, 1, 8, 8)
    with torch.no_grad():
        u = model.unet(noise, torch.tensor([[1000.0, 1000.0]] * 2), labels)
    torch.testing.assert_close(images, (noise - u).clamp(-1, 1))


def test_two_step_sampling_jumps_along_the_flow():
    """t = 1 -> 0.5 -> 0: z_r = z_t - (t - r) u(z_t, r, t), no noise."""
    model = build_model().eval()
    labels = torch.tensor([3, 4])
    torch.manual_seed(0)
    images = model.sample(2, labels=labels, generator='dummy',
                          sampler='meanflow', steps=2)
    torch.manual_seed(0)
    z = torch.randn(2, 1, 8, 8)
    with torch.no_grad():
        for t, r in ((1.0, 0.5), (0.5, 0.0)):
            times = torch.tensor([[1000 * t, 1000 * (t - r)]] * 2)
            z = z - (t - r) * model.unet(z, times, labels)
    torch.testing.assert_close(images, z.clamp(-1, 1))
    consistency = MODELS.build(dict(type='ConsistencyModel',
                                    network=dict(NETWORK, num_time_inputs=1)))
    with pytest.raises(ValueError, match='MeanFlowParameterisation'):
        consistency.sample(1, labels=labels[:1], sampler='meanflow', steps=2)


def test_meanflow_needs_its_parameterisation():
    with pytest.raises(ValueError, match='MeanFlowParameterisation'):
        MODELS.build(dict(type='ConsistencyModel', network=NETWORK,
                          training=dict(objective=dict(
                              type='MeanFlowObjective'))))


def test_digits_recipe_trains_resumes_and_samples(tmp_path):
    """The config through the runner: three iterations, a checkpoint, a
    resumed fourth, and init_model sampling one step from it."""
    from mmengine import Config
    from mmengine.logging import MessageHub
    from mmengine.runner import Runner

    from mmcm.apis import init_model
    from ..conftest import REPO
    config = (f'{REPO}/configs/consistency_models/train/'
              'meanflow_adm-unet_1xb32-1k_digits-16x16.py')

    def cfg_for(iterations):
        cfg = Config.fromfile(config)
        cfg.model.network.update(num_res_blocks=1, channel_mult=(1, 2))
        cfg.work_dir = str(tmp_path)
        cfg.train_dataloader.batch_size = 4
        cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=iterations)
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
        cfg.default_hooks.checkpoint = dict(type='CheckpointHook',
                                            interval=3, by_epoch=False)
        cfg.log_level = 'WARNING'
        return cfg

    Runner.from_cfg(cfg_for(3)).train()
    resumed = cfg_for(4)
    resumed.resume, resumed.load_from = True, str(tmp_path / 'iter_3.pth')
    runner = Runner.from_cfg(resumed)
    runner.train()
    assert runner.iter == 4
    MessageHub.get_current_instance().update_info('iter', 0)
    model = init_model(cfg_for(4), str(tmp_path / 'iter_4.pth'))
    images = model.sample(2, labels=torch.tensor([0, 1]))
    assert images.shape == (2, 1, 16, 16) and images.abs().max() <= 1


class AffineVelocity(torch.nn.Module):
    """``u(z, (t, t - r), y) = a z + (y + 1)``, with a null class."""

    null_label = 9

    def __init__(self):
        super().__init__()
        self.a = torch.nn.Parameter(torch.tensor(0.5, dtype=torch.float64))

    def forward(self, z, timesteps, y):
        return self.a * z + (y.to(z.dtype) + 1).view(-1, 1, 1, 1)


def test_guided_target_by_hand():
    """Flow-matching samples (r = t), so the target is the velocity
    itself: guided (Eq. 21, w = 2, k = 0.5) inside the interval, plain
    outside it and for a dropped class, whose label becomes the null one."""
    objective = MeanFlowObjective(norm_p=0.0, guidance_scale=2.0,
                                  guidance_mixture=0.5,
                                  guidance_interval=(0.0, 0.6),
                                  class_dropout=0.1)
    net = AffineVelocity()
    x = torch.linspace(-1, 1, 3 * 4, dtype=torch.float64).view(3, 1, 2, 2)
    noise = torch.linspace(0.5, -0.7, 12, dtype=torch.float64).view_as(x)
    t = torch.tensor([0.3, 0.9, 0.4], dtype=torch.float64)
    labels = torch.tensor([2, 4, 6])
    dropped = torch.tensor([False, False, True])
    loss, _ = run_objective(objective, MeanFlowParameterisation(), x, net,
                            labels=labels, noise=noise, t=t, r=t,
                            class_dropped=dropped)
    z = (1 - t.view(-1, 1, 1, 1)) * x + t.view(-1, 1, 1, 1) * noise
    v = noise - x
    u_null, u_cond = 0.5 * z + 10, 0.5 * z + (labels + 1).view(-1, 1, 1, 1)
    guided = 2.0 * v + 0.5 * u_cond + (1 - 2.0 - 0.5) * u_null
    target = torch.stack([guided[0], v[1], v[2]])
    used = torch.tensor([3.0, 5.0, 10.0], dtype=torch.float64)
    prediction = 0.5 * z + used.view(-1, 1, 1, 1)
    expected = (prediction - target).pow(2).flatten(1).sum(1)
    torch.testing.assert_close(loss.detach(), expected, rtol=1e-12, atol=0)
    assert net.training  # left as it was


def test_guidance_needs_a_null_class():
    from mmcm.models.unets import ADMUNet
    with pytest.raises(ValueError, match='null class'):
        MeanFlowObjective(guidance_scale=2.0).check(
            MODELS.build(NETWORK), MeanFlowParameterisation())
    with pytest.raises(ValueError, match='class_dropout'):
        MeanFlowObjective(class_dropout=1.0)
    net = ADMUNet(**{**{k: v for k, v in NETWORK.items() if k != 'type'},
                     'null_class': True})
    assert net.null_label == 10 and net.label_emb.num_embeddings == 11
    MeanFlowObjective(guidance_scale=2.0).check(net,
                                                MeanFlowParameterisation())
    out = net(torch.zeros(2, 1, 8, 8), torch.zeros(2, 2),
              torch.tensor([10, 3]))
    assert out.shape == (2, 1, 8, 8)
    with pytest.raises(ValueError, match='class-conditional'):
        ADMUNet(image_size=8, null_class=True)


def test_single_pass_gives_the_loss_and_gradient_of_two_passes():
    """The prediction from the JVP's own pass (the official code's) against
    a graded forward pass beside a JVP without a graph, dropout on (one
    mask for both), in float64."""
    from mmcm.models.unets import ADMUNet
    torch.manual_seed(0)
    net = ADMUNet(**{**{k: v for k, v in NETWORK.items() if k != 'type'},
                     'dropout': 0.3})
    net = net.double().convert_torso(torch.float64).train()
    x = torch.rand(3, 1, 8, 8, dtype=torch.float64) * 2 - 1
    results = []
    for single_pass in (True, False):
        objective = MeanFlowObjective(single_pass=single_pass)
        torch.manual_seed(5)
        t, r = (v.double() for v in objective.time_pair(3, 'cpu'))
        noise = torch.randn_like(x)
        loss, _ = run_objective(objective, MeanFlowParameterisation(), x,
                                net, labels=torch.tensor([0, 1, 2]),
                                noise=noise, t=t, r=r)
        net.zero_grad()
        loss.sum().backward()
        results.append((loss.detach(),
                        [p.grad.clone() for p in net.parameters()]))
    (single, single_grads), (double, double_grads) = results
    torch.testing.assert_close(single, double, rtol=1e-12, atol=0)
    for got, want in zip(single_grads, double_grads):
        torch.testing.assert_close(got, want, rtol=1e-9, atol=1e-12)
