"""Continuous-time CD/CT: the limits of the discrete losses."""
import pytest
import torch
from mmengine import Config

from mmcm.models.objectives import (ContinuousConsistencyObjective,
                                    karras_time_derivative)
from mmcm.models.sampling import karras_sigma
from mmcm.registry import MODELS

from ..conftest import REPO
from .parity import DenoiserParameterisation, run_objective

CONTINUOUS_CT = (f'{REPO}/configs/consistency_models/train/'
                 'cm-ct-continuous_adm-unet_1xb32-1k_digits-16x16.py')


def test_karras_time_derivative_by_finite_differences():
    u = torch.tensor([0.0, 0.3, 0.9], dtype=torch.float64)
    h = 1e-6
    fd = (karras_sigma(u - h, 2, 0.002, 80.0) -
          karras_sigma(u + h, 2, 0.002, 80.0)) / (2 * h)
    torch.testing.assert_close(karras_time_derivative(u, 0.002, 80.0), fd)


def double_model(teacher=False, time_weight='one', variant='stopgrad-l2sq'):
    cfg = Config.fromfile(CONTINUOUS_CT)
    cfg.model.network.update(num_res_blocks=1, channel_mult=(1, 2))
    cfg.model.training.objective.update(time_weight=time_weight,
                                        variant=variant)
    if teacher:
        cfg.model.training.teacher = dict()
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    with torch.no_grad():
        for param in model.unet.parameters():
            param.add_(torch.randn_like(param) * 0.05)
    if variant == 'stopgrad-l2sq':
        model.target_unet.load_state_dict(model.unet.state_dict())
    else:  # no target network
        assert not hasattr(model, 'target_unet')
    model.double()
    for unet in model.training_networks():
        if unet is not None:
            unet.convert_torso(torch.float64)
    return model.eval()


def flat_grad(loss, model):
    params = [p for p in model.unet.parameters() if p.requires_grad]
    grads = torch.autograd.grad(loss, params)
    return torch.cat([g.flatten() for g in grads])


LABELS = torch.tensor([1, 7])


def limit_inputs(model, teacher: bool):
    """Two float64 digits, their noise and ``u``, the online denoiser and
    (CD) the teacher's (the parameterisation's diffusion counterpart), for
    the limit tests."""
    torch.manual_seed(1)
    x0 = torch.rand(2, 1, 16, 16, dtype=torch.float64) * 2 - 1
    z = torch.randn_like(x0)
    u = torch.tensor([0.35, 0.6], dtype=torch.float64)

    def online(x, s):
        return model.denoise(x, s, LABELS, network=model.unet)

    teacher_fn = model.parameterisation.diffusion_counterpart().denoiser(
        model.teacher, LABELS) if teacher else None
    return x0, z, u, online, teacher_fn


def model_objective(model, x0, z, u, target=None):
    """The model's objective on ``x0`` with the noise ``z`` and ``u``."""
    loss, _ = run_objective(
        model.training_block.objective, model.parameterisation, x0,
        model.unet, target=target, teacher=model.teacher, labels=LABELS,
        noise=z, u=u)
    return loss


@pytest.mark.parametrize('time_weight', ['one', 'karras'])
@pytest.mark.parametrize('teacher', [False, True], ids=['ct', 'cd'])
def test_gradient_is_the_limit_of_the_discrete_loss(teacher, time_weight):
    """``'karras'``: the discrete loss of the pair ``tau(u), tau(u + du)``
    over ``du``; ``'one'`` (OpenAI's): of the pair ``sigma, sigma - ds``
    over ``ds``, i.e. every sample weighted alike in the noise level."""
    model = double_model(teacher, time_weight)
    x0, z, u, online, teacher_fn = limit_inputs(model, teacher)

    def target(x, s):
        return model.denoise(x, s, LABELS, network=model.target_unet)

    continuous = model_objective(model, x0, z, u, target=model.target_unet)
    grad_c = flat_grad(continuous.sum(), model)
    # Discrete: online at tau(u), target one small step lower.
    step = 1e-6
    high = karras_sigma(u, 2, 0.002, 80.0)
    low = (karras_sigma(u + step, 2, 0.002, 80.0)
           if time_weight == 'karras' else high - step)
    x_high = x0 + z * high[:, None, None, None]
    if teacher:
        d = (x_high - teacher_fn(x_high, high)) / high[:, None, None, None]
        x_low = x_high + d * (low - high)[:, None, None, None]  # Euler
    else:
        x_low = x0 + z * low[:, None, None, None]
    with torch.no_grad():
        lower = target(x_low, low)
    discrete = ((online(x_high, high) - lower)**2).flatten(1).mean(1)
    grad_d = flat_grad(discrete.sum(), model) / step
    cosine = torch.nn.functional.cosine_similarity(grad_c, grad_d, dim=0)
    assert cosine > 0.999
    assert grad_c.norm() / grad_d.norm() == pytest.approx(1.0, rel=1e-3)


@pytest.mark.parametrize('teacher', [False, True], ids=['ct', 'cd'])
def test_l2_through_jvp_is_the_limit_of_the_discrete_l2_loss(teacher):
    """OpenAI's variant: ``||f(x_{s+h}, s+h) - f(x_{s-h}, s-h)||_2 / 2h``
    of the online network, gradient through both evaluations (no target,
    no stop-gradient), on the ADM UNet: reverse mode through its JVP."""
    model = double_model(teacher, variant='l2-through-jvp')
    x0, z, u, online, teacher_fn = limit_inputs(model, teacher)

    def unused(*args, **kwargs):
        raise AssertionError('the target network is not used')

    continuous = model_objective(model, x0, z, u, target=unused)
    grad_c = flat_grad(continuous.sum(), model)
    h = 1e-6
    sigma = karras_sigma(u, 2, 0.002, 80.0)
    x_t = x0 + z * sigma[:, None, None, None]
    with torch.no_grad():
        d = z if teacher_fn is None else (
            x_t - teacher_fn(x_t, sigma)) / sigma[:, None, None, None]
    ends = [online(x_t + side * h * d, sigma + side * h)
            for side in (1, -1)]
    discrete = (ends[0] - ends[1]).flatten(1).norm(dim=1) / (2 * h)
    grad_d = flat_grad(discrete.sum(), model)
    torch.testing.assert_close(continuous, discrete.detach(), rtol=1e-6,
                               atol=0)
    torch.testing.assert_close(grad_c, grad_d, rtol=1e-5,
                               atol=1e-6 * grad_d.abs().max().item())


def test_stopgrad_residual_is_the_tangent_term_under_autocast():
    """``f^-`` is the prediction's own value: under bf16 autocast the
    online forward and the float32 JVP primal differ by rounding as large
    as ``df/dt``, which must not enter the loss."""
    torch.manual_seed(0)
    layer = torch.nn.Linear(6, 6)

    def online(x, s):
        return 0.5 * x + layer(x) * s[:, None] / (1 + s[:, None])

    x0, z = torch.randn(4, 6), torch.randn(4, 6)
    u = torch.tensor([0.1, 0.4, 0.7, 0.95])
    objective = ContinuousConsistencyObjective()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        loss, _ = run_objective(objective, DenoiserParameterisation(), x0,
                                online, target=online, noise=z, u=u)
    sigma = karras_sigma(u, 2, 0.002, 80.0)
    _, dfdt = torch.func.jvp(online, (x0 + z * sigma[:, None], sigma),
                             (z, torch.ones_like(sigma)))
    torch.testing.assert_close(loss, dfdt.detach().pow(2).mean(1),
                               rtol=1e-6, atol=0)


@pytest.mark.parametrize('variant', ['stopgrad-l2sq', 'l2-through-jvp'])
def test_continuous_ct_recipe_trains_a_few_steps(variant):
    from mmengine.logging import MessageHub
    from mmengine.optim import build_optim_wrapper
    cfg = Config.fromfile(CONTINUOUS_CT)
    cfg.model.network.update(num_res_blocks=1, channel_mult=(1, 2))
    cfg.model.training.objective.variant = variant
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).train()
    wrapper = build_optim_wrapper(model, dict(
        type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3)))
    img = torch.randint(0, 256, (8, 1, 16, 16),
                        generator=torch.Generator().manual_seed(0),
                        dtype=torch.uint8)
    data = dict(inputs=dict(img=img, labels=torch.arange(8)))
    hub, losses = MessageHub.get_current_instance(), []
    before = [p.clone() for p in model.unet.parameters()]
    for step in range(3):
        hub.update_info('iter', step)
        losses.append(model.train_step(data, wrapper)['loss'].item())
        model.update_averages(step)
    hub.update_info('iter', 0)
    assert all(torch.isfinite(torch.tensor(losses)))
    assert any(not torch.equal(a, b)
               for a, b in zip(before, model.unet.parameters()))
    if variant == 'l2-through-jvp':  # no target network
        assert model.training_networks() == [model.unet]
        return
    # mu = 0: the target follows the online network exactly.
    for target, online in zip(model.target_unet.parameters(),
                              model.unet.parameters()):
        assert torch.equal(target, online)


def test_unknown_time_weight_or_variant_is_refused():
    with pytest.raises(ValueError, match='time_weight'):
        MODELS.build(dict(type='ContinuousConsistencyObjective',
                          time_weight='snr'))
    with pytest.raises(ValueError, match='variant'):
        MODELS.build(dict(type='ContinuousConsistencyObjective',
                          variant='l1'))
