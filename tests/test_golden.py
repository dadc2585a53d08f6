"""Golden values: samples, training steps and metrics of fixed inputs.

The numbers in ``tests/data/golden.npz`` were written by this module
(``python -m tests.test_golden --write``) and must not move when code is
reorganised: the same checkpoint and seed give the same samples, the same
batch gives the same losses and weights after a few optimizer steps, and
the metrics of fixed images give the same scores. :func:`check` allows
the rounding of another CPU; on the machine that wrote them they agree bit
for bit.
"""
import os.path as osp
import sys

import numpy as np
import pytest
import torch
from mmengine import Config
from mmengine.logging import MessageHub
from mmengine.optim import build_optim_wrapper
from mmengine.runner import Runner

from mmcm.registry import METRICS, MODELS

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
GOLDEN = osp.join(REPO, 'tests', 'data', 'golden.npz')
DIGITS_CONFIG = osp.join(REPO, 'configs', 'consistency_models', 'digits',
                         'cm-ct_adm-unet_1step_digits-16x16.py')
DIGITS_CKPT = osp.join(REPO, 'checkpoints', 'cm-ct_digits-16x16.pt')
TRAIN = osp.join(REPO, 'configs', 'consistency_models', 'train')
RECIPES = ('cm-ct', 'cm-ict', 'cm-ict-joint', 'cm-ct-continuous',
           'scm-sct', 'trigflow')
TINY_UNET = dict(type='ADMUNet', image_size=16, model_channels=32,
                 num_res_blocks=1, attention_resolutions=(8, ),
                 channel_mult=(1, 2), num_classes=10, num_head_channels=32,
                 use_scale_shift_norm=True, resblock_updown=True,
                 dropout=0.1)


def digits_model():
    from mmcm.apis import init_model
    return init_model(DIGITS_CONFIG, DIGITS_CKPT, device='cpu')


def sampling_values() -> dict:
    """Samples of the bundled model through every public sampling path."""
    from mmcm.apis import generate_samples
    model = digits_model()
    images, labels = generate_samples(model, num_samples=6, batch_size=4,
                                      progress=False, seed=3)
    values = dict(generate_images=images, generate_labels=labels)
    labels = torch.tensor([1, 7, 3])
    for name, options in (
            ('onestep', dict(generator='determ')),
            ('multistep', dict(sampler='multistep', steps=12, ts=(0, 6, 11),
                               generator='determ-indiv')),
            ('heun', dict(sampler='heun', steps=4, generator='determ')),
            ('euler', dict(sampler='euler', steps=3, generator='dummy'))):
        torch.manual_seed(5)
        values[f'sample_{name}'] = model.sample(3, labels=labels, seed=11,
                                                **options).numpy()
    indexed = model(dict(sample_index=[4, 1], num_samples=9, labels=[2, 8]),
                    mode='tensor')
    values['sample_index'] = indexed.numpy()
    return values


def recipe_cfg(recipe: str, work_dir: str) -> Config:
    path = osp.join(TRAIN, f'{recipe}_adm-unet_1xb32-1k_digits-16x16.py')
    cfg = Config.fromfile(path)
    cfg.work_dir = work_dir
    cfg.train_dataloader.batch_size = 4
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=3)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook',
                                        interval=1000)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    cfg.randomness = dict(seed=7)
    cfg.log_level = 'WARNING'
    return cfg


def network_norms(model) -> np.ndarray:
    """Sum of |w| of each network (online, averages, target) of a trainer."""
    norms = []
    for name, module in sorted(model.named_children()):
        params = list(module.parameters())
        if name != 'data_preprocessor' and params:
            norms.append(float(sum(p.detach().double().abs().sum()
                                   for p in params)))
    return np.asarray(norms)


def recipe_values(recipe: str, work_dir: str) -> dict:
    """Losses of three runner iterations and the weights after them."""
    runner = Runner.from_cfg(recipe_cfg(recipe, work_dir))
    runner.train()
    scalars = runner.message_hub.log_scalars
    losses = np.asarray([scalars[key].data[0] for key in sorted(scalars)
                         if key.startswith('train/loss')], np.float64)
    model = runner.model
    MessageHub.get_current_instance().update_info('iter', 0)
    return {f'{recipe}_losses': losses,
            f'{recipe}_norms': network_norms(model)}


def fixed_batch():
    rng = torch.Generator().manual_seed(0)
    img = torch.randint(0, 256, (4, 3, 16, 16), generator=rng,
                        dtype=torch.uint8)
    return dict(inputs=dict(img=img, labels=torch.arange(4)))


def direct_values(kind: str) -> dict:
    """CD (teacher = the initial student) and EDM steps on a fixed batch."""
    torch.manual_seed(0)
    cfg = dict(type='ConsistencyTrainer', unet=TINY_UNET, ema_decays=(0.9, ),
               objective=dict(type='ConsistencyObjective', distance='l2'),
               teacher=dict())
    if kind == 'edm':
        cfg = dict(type='EDMTrainer', unet=TINY_UNET, ema_decays=(0.9, ))
    model = MODELS.build(cfg).train()
    wrapper = build_optim_wrapper(model, dict(
        type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3)))
    hub = MessageHub.get_current_instance()
    losses = []
    for step in range(3):
        hub.update_info('iter', step)
        torch.manual_seed(100 + step)
        losses.append(model.train_step(fixed_batch(), wrapper)['loss'].item())
        model.update_averages(step)
    hub.update_info('iter', 0)
    return {f'{kind}_losses': np.asarray(losses),
            f'{kind}_norms': network_norms(model)}


class PixelFeatures(torch.nn.Module):
    """A fixed random projection of pixels to 2048 "Inception" features."""

    def __init__(self):
        super().__init__()
        rng = torch.Generator().manual_seed(0)
        self.weight = torch.randn(2048, 3 * 16 * 16, generator=rng) / 28

    def forward(self, images):
        images = images.expand(-1, 3, -1, -1)  # gray digits as RGB
        return images.float().flatten(1) @ self.weight.T / 255


def metric_values(tmp_dir: str) -> dict:
    """FID, IS and precision/recall of the bundled model's index samples."""
    from mmcm.apis import evaluate_model, generate_samples
    model = digits_model()
    reference = osp.join(tmp_dir, 'reference.npz')
    images, _ = generate_samples(model, num_samples=40, batch_size=40,
                                 progress=False, seed=100)
    np.savez(reference, arr_0=images)
    softmax = osp.join(tmp_dir, 'softmax.npz')
    rng = np.random.default_rng(0)
    np.savez(softmax, logits=rng.standard_normal((2048, 1008)) / 100)
    extractor = PixelFeatures()
    common = dict(extractor=extractor, device='cpu')
    metrics = [
        METRICS.build(dict(type='FrechetInceptionDistance',
                           reference=reference, cache_dir=tmp_dir, **common)),
        METRICS.build(dict(type='InceptionScore', softmax_weights=softmax,
                           split_size=8, **common)),
        METRICS.build(dict(type='PrecisionRecall', reference=reference,
                           cache_dir=tmp_dir, k=3, **common)),
    ]
    scores = evaluate_model(model, metrics, num_samples=24,
                            batch_size=10, progress=False)
    return {f'metric_{k}': np.asarray(v) for k, v in sorted(scores.items())}


def all_values(tmp_dir: str) -> dict:
    values = sampling_values()
    for kind in ('cd', 'edm'):
        values.update(direct_values(kind))
    for recipe in RECIPES:
        values.update(recipe_values(recipe, osp.join(tmp_dir, recipe)))
    values.update(metric_values(tmp_dir))
    return values


@pytest.fixture(scope='module')
def golden():
    with np.load(GOLDEN) as data:
        return dict(data)


def check(values: dict, golden: dict) -> None:
    """Equal up to the rounding of another CPU: labels exactly; uint8
    images within one level on at most 0.5% of the pixels (a value next to
    a level boundary may truncate the other way); samples, losses and
    weights to 1e-5 (multistep samples, whose rounding compounds over the
    sampler's steps, also 1e-5 absolute: seen 6.7e-6 on an AMD EPYC
    against this file's Xeon); metrics, which take square roots of
    near-zero eigenvalues, to 1e-4."""
    for key, value in values.items():
        expected = golden[key]
        assert value.shape == expected.shape, key
        if value.dtype == np.uint8:
            diff = np.abs(value.astype(int) - expected.astype(int))
            assert diff.max() <= 1 and (diff > 0).mean() <= 0.005, key
        elif value.dtype.kind in 'iu':
            np.testing.assert_array_equal(value, expected, err_msg=key)
        else:
            tol = 1e-4 if key.startswith('metric_') else 1e-5
            atol = 1e-5 if key.startswith('sample_') else 1e-6
            np.testing.assert_allclose(value, expected, rtol=tol, atol=atol,
                                       err_msg=key)


def test_sampling_is_unchanged(golden):
    check(sampling_values(), golden)


@pytest.mark.parametrize('kind', ['cd', 'edm'])
def test_training_step_is_unchanged(golden, kind):
    check(direct_values(kind), golden)


@pytest.mark.parametrize('recipe', RECIPES)
def test_recipe_iterations_are_unchanged(golden, recipe, tmp_path):
    check(recipe_values(recipe, str(tmp_path)), golden)


def test_metrics_are_unchanged(golden, tmp_path):
    check(metric_values(str(tmp_path)), golden)


if __name__ == '__main__' and sys.argv[1:] == ['--write']:
    import tempfile

    from mmcm.apis import register_all_modules
    register_all_modules()
    torch.set_num_threads(2)
    with tempfile.TemporaryDirectory() as tmp:
        np.savez(GOLDEN, **all_values(tmp))
    print(f'wrote {GOLDEN}')
