"""TCM's stage 2 against the authors' implementation, number for number.

``tests/data/parity/tcm.json`` holds what NVlabs/TCM computes
(``training/loss.py``'s ``ECMLoss`` through ``training/networks_tcm.py``'s
``TCMPrecond``, see ``tests/data/parity/README.md``) with the loss settings
of its README's CIFAR-10 and ImageNet-64 stage-2 commands, on a tiny float64
EDM denoiser (the student) and a second one (the frozen stage-1 model), at
two stages each: the draws, the per-sample losses of the truncated and the
boundary samples, and the gradient of ``mean + w_b mean_boundary``. Here
the shipped stage-2 recipes build :class:`~mmcm.models.objectives.TCMObjective`
and its curriculum and replay those draws through the same networks.
"""
from pathlib import Path

import pytest
import torch
from mmengine import Config

from mmcm.models.objectives import split_means_weights, truncated_log_times
from mmcm.registry import CURRICULA, MODELS

from ..conftest import REPO
from .parity import as_tensor, load_fixture, run_objective
from .test_ect_parity import TinyNetwork, relative_error

TRAIN = Path(REPO) / 'configs' / 'consistency_models' / 'train'
RECIPES = {
    'cifar10': 'tcm_adm-unet_8xb128-300k_cifar10-32x32.py',
    'imagenet64': 'tcm_adm-unet_8xb128-100k_imagenet-64x64.py',
}
WEIGHTINGS = {'default': 'inverse-gap', 'cout_sq': 'karras'}
CASES = [(name, index) for name in RECIPES for index in range(2)]
RTOL = 1e-10


def recipe(name: str):
    """``(objective, curriculum config, parameterisation)`` as the shipped
    stage-2 recipe builds them."""
    model = Config.fromfile(str(TRAIN / RECIPES[name])).model
    return (MODELS.build(model.training.objective),
            model.training.curriculum,
            MODELS.build(model.parameterisation))


def networks(record: dict):
    """The student (training mode) and the frozen stage-1 model (left in
    evaluation mode, as the model keeps its teacher: the objective turns
    its dropout on as the authors' code has it)."""
    spec = record['network']
    student = TinyNetwork(dict(parameters=spec['student'],
                               dropout=spec['dropout'])).train()
    stage_one = TinyNetwork(dict(parameters=spec['stage_one'],
                                 dropout=spec['dropout'])).eval()
    return student, stage_one.requires_grad_(False)


@pytest.mark.parametrize('name', sorted(RECIPES))
def test_recipe_has_the_reference_settings(name):
    run = load_fixture('tcm.json')['runs'][name]
    reference = run['loss_kwargs']
    objective, curriculum, parameterisation = recipe(name)
    assert type(parameterisation).__name__ == 'EDMParameterisation'
    assert (objective.p_mean, objective.p_std) == (reference['P_mean'],
                                                   reference['P_std'])
    assert objective.time_distribution == 'student-t' == {
        't': 'student-t'}[reference['tdist']]
    assert objective.df == reference['df']
    assert objective.transition_t == run['transition_t'] == reference[
        't_lower']
    assert parameterisation.sigma_max == reference['t_upper']
    assert objective.boundary_prob == reference['boundary_prob']
    assert objective.boundary_weight == run['w_boundary']
    assert objective.distance.c == reference['c']
    assert objective.weighting == WEIGHTINGS[reference['weighting']]
    assert curriculum.scales.q == reference['q']
    assert curriculum.scales.ratio_limit == reference['ratio_limit']
    assert curriculum.target_ema.decay == 0.0  # the online network
    # Stage 2 starts with the ratio at the authors' cap.
    _, num_scales = CURRICULA.build(curriculum)(0)
    assert 1 - 1 / num_scales == pytest.approx(reference['ratio_limit'],
                                               rel=1e-14)


@pytest.mark.parametrize('name, index', CASES)
def test_time_draw_matches_the_reference(name, index):
    run = load_fixture('tcm.json')['runs'][name]
    case = run['cases'][index]
    objective, _, parameterisation = recipe(name)
    times = truncated_log_times(
        as_tensor(case['uniform']), objective.p_mean, objective.p_std,
        objective.transition_t, parameterisation.sigma_max,
        objective.time_distribution, objective.df)
    inside = ~torch.tensor(case['boundary'])
    torch.testing.assert_close(times[inside], as_tensor(case['t'])[inside],
                               rtol=1e-12, atol=0)


@pytest.mark.parametrize('name, index', CASES)
def test_losses_and_gradients_match_the_reference(name, index):
    record = load_fixture('tcm.json')
    run = record['runs'][name]
    case = run['cases'][index]
    objective, curriculum, parameterisation = recipe(name)
    curriculum.scales.update(start_stage=case['stage'])
    _, num_scales = CURRICULA.build(curriculum)(0)
    assert 1 - 1 / num_scales == pytest.approx(case['ratio'], rel=1e-14)
    student, stage_one = networks(record)
    x0 = as_tensor(record['x0']['values'], record['x0']['shape'])
    boundary = torch.tensor(case['boundary'])
    with torch.random.fork_rng():
        torch.manual_seed(case['seed'])
        torch.randperm(x0.shape[0])  # the reference's boundary draw
        noise = torch.randn_like(x0)
        assert torch.equal(noise.flatten(), as_tensor(case['noise']))
        loss, logs = run_objective(
            objective, parameterisation, x0, student, target=student,
            teacher=stage_one, num_scales=num_scales, noise=noise,
            t=as_tensor(case['t']), boundary=boundary)
    loss.mean().backward()
    assert not stage_one.training  # restored after the call
    assert relative_error(loss.mean(), as_tensor(case['total'])) < RTOL
    unsplit = loss / split_means_weights(boundary, objective.boundary_weight)
    assert relative_error(unsplit[~boundary], as_tensor(case['loss'])) < RTOL
    assert relative_error(unsplit[boundary],
                          as_tensor(case['loss_boundary'])) < RTOL
    assert logs['loss_boundary'] == pytest.approx(
        float(unsplit[boundary].mean()), rel=1e-12)
    for param_name, grad in case['grads'].items():
        actual = getattr(student, param_name).grad.flatten()
        assert relative_error(actual, as_tensor(grad)) < RTOL, param_name
