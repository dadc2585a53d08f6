"""Recipe studies at one compute budget on a small labelled data set.

A study trains every recipe for the same wall-clock budget and scores it
with :class:`~mmcm.evaluation.SmallDataMetrics`:

- :func:`seconds_per_iteration` times a recipe's training step alone;
- :func:`fit_to_budget` scales a recipe to the iterations that fit the
  budget, its curriculum's and objective's step counts with it;
- :func:`choose_sampling` picks the weights (EMA or online) and the two-step
  middle step on the *training* split (the middle step by the
  :func:`~mmcm.apis.ternary_search` of ``tools/two_step_search.py``); a
  MeanFlow model's two steps are its own jumps along the flow (``t = 1,
  0.5, 0``), with no middle step to choose;
- :func:`score_runs` then scores one- and two-step samples against the
  held-out split over several sampling seeds.
"""
import copy
import tempfile
from typing import Dict, Iterable, Optional, Sequence

import numpy as np
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mmcm.apis.evaluation import ternary_search
from mmcm.evaluation.statistics import frechet_distance
from mmcm.models.labels import balanced_class_labels
from mmcm.models.parameterisations import MeanFlowParameterisation
from mmcm.utils.batching import map_batches
from mmcm.utils.functional import quantize_uint8, to_pixels

#: Keys of a recipe's model config that count iterations.
STEP_COUNT_KEYS = ('total_steps', 'stage_iters', 'warmup_steps')
#: Middle indices searched for two-step sampling on a 12-level Karras grid.
TWO_STEP_MIDDLES = range(5, 10)
TWO_STEP_GRID = 12


def _scale_step_counts(node, factor: float) -> None:
    """Multiply every :data:`STEP_COUNT_KEYS` value under ``node``."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in STEP_COUNT_KEYS and isinstance(value, int):
                node[key] = max(1, round(value * factor))
            else:
                _scale_step_counts(value, factor)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _scale_step_counts(value, factor)


def fit_to_budget(cfg: Config, iterations: int) -> Config:
    """A copy of ``cfg`` that trains ``iterations`` iterations.

    Every iteration count of the model (the curriculum's ``total_steps``
    and ``stage_iters``, an objective's ``warmup_steps``) is scaled by the
    same factor, so that a curriculum ends where it ended before. No
    validation runs during training (a study scores afterwards) and only
    the last checkpoint is kept.
    """
    if iterations < 1:
        raise ValueError(f'iterations must be positive, got {iterations}')
    cfg = copy.deepcopy(cfg)
    factor = iterations / cfg.train_cfg.max_iters
    _scale_step_counts(cfg.model, factor)
    cfg.train_cfg.max_iters = iterations
    cfg.train_cfg.val_interval = iterations + 1
    for key in ('val_dataloader', 'val_cfg', 'val_evaluator'):
        cfg[key] = None
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', interval=iterations, by_epoch=False,
        max_keep_ckpts=1)
    return cfg


def seconds_per_iteration(cfg: Config, iterations: int = 30,
                          warmup: int = 5) -> float:
    """Median wall-clock seconds of one training iteration of ``cfg``
    (after ``warmup`` iterations), measured by mmengine's iteration timer."""
    cfg = fit_to_budget(cfg, iterations)
    cfg.default_hooks.checkpoint = dict(
        type='CheckpointHook', interval=iterations + 1, by_epoch=False,
        save_last=False)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=10 ** 6)
    with tempfile.TemporaryDirectory() as work_dir:
        cfg.work_dir = work_dir
        runner = Runner.from_cfg(cfg)
        runner.train()
        times = runner.message_hub.get_scalar('train/time').data[0]
    return float(np.median(times[warmup:]))


def sample_pixels(model, num_samples: int, seed: int,
                  batch_size: int = 250, **sampling) -> torch.Tensor:
    """uint8 ``(N, C, H, W)`` samples; sample ``i`` is of class
    ``i % classes`` and its noise depends on ``seed`` and ``i`` alone."""
    labels = balanced_class_labels(num_samples, model.num_classes)

    def generate(indices: range) -> torch.Tensor:
        images = model.generate(indices, num_samples,
                                labels[indices.start:indices.stop],
                                seed=seed, **sampling)
        return quantize_uint8(to_pixels(images))

    return torch.cat(map_batches(generate, num_samples, batch_size))


def training_split_fd(metric, images: torch.Tensor) -> float:
    """Frechet distance of ``images`` to the training split, in the
    classifier's features: the score settings are chosen by."""
    ref = metric.reference_side()
    classifier = ref['classifier']
    if 'train_features' not in ref:
        ref['train_features'] = classifier.features(
            ref['train']).double().numpy()
    fake = classifier.features(images).double().numpy()
    real = ref['train_features']
    return frechet_distance(fake.mean(0), np.cov(fake, rowvar=False),
                            real.mean(0), np.cov(real, rowvar=False))


def two_step_settings(middle: Optional[int]) -> dict:
    """Multistep sampling through index ``middle`` of the 12-level grid;
    ``None``: MeanFlow's two jumps along its flow."""
    if middle is None:
        return dict(sampler='meanflow', steps=2)
    return dict(sampler='multistep', steps=TWO_STEP_GRID,
                ts=(0, middle, TWO_STEP_GRID - 1))


def jumps_along_a_flow(model) -> bool:
    """Whether ``model`` samples few steps by MeanFlow's jumps (no
    re-noising, hence no middle step to choose)."""
    return isinstance(model.parameterisation, MeanFlowParameterisation)


@torch.no_grad()
def choose_sampling(models: Dict[str, torch.nn.Module], metric,
                    num_samples: int = 500, seed: int = 0) -> dict:
    """The weights (a key of ``models``) with the best one-step FD to the
    training split, and that model's best two-step middle index in
    :data:`TWO_STEP_MIDDLES`, found by :func:`~mmcm.apis.ternary_search`
    (``selection_fd['twostep']`` holds the middles it evaluated)."""
    onestep = {name: training_split_fd(metric, sample_pixels(
        model, num_samples, seed, sampler='onestep'))
        for name, model in models.items()}
    weights = min(onestep, key=onestep.get)
    if jumps_along_a_flow(models[weights]):
        fd = training_split_fd(metric, sample_pixels(
            models[weights], num_samples, seed, **two_step_settings(None)))
        return dict(weights=weights, middle=None, selection_fd=dict(
            onestep=onestep, twostep=dict(meanflow=fd)))
    twostep: Dict[int, float] = {}

    def twostep_fd(middle: int) -> float:
        twostep[middle] = training_split_fd(metric, sample_pixels(
            models[weights], num_samples, seed, **two_step_settings(middle)))
        return twostep[middle]

    middle = ternary_search(twostep_fd, TWO_STEP_MIDDLES[0],
                            TWO_STEP_MIDDLES[-1])
    twostep = dict(sorted(twostep.items()))
    return dict(weights=weights, middle=middle,
                selection_fd=dict(onestep=onestep, twostep=twostep))


@torch.no_grad()
def score_runs(model, metric, seeds: Iterable[int], middle: Optional[int],
               num_samples: int = 500) -> Dict[str, Dict[str, list]]:
    """Held-out scores of one- and two-step samples, one value per seed."""
    settings = dict(onestep=dict(sampler='onestep'),
                    twostep=two_step_settings(middle))
    scores: Dict[str, Dict[str, list]] = {}
    for name, sampling in settings.items():
        for seed in seeds:
            images = sample_pixels(model, num_samples, seed, **sampling)
            labels = balanced_class_labels(num_samples,
                                           model.num_classes).numpy()
            for key, value in metric.scores(images, labels).items():
                scores.setdefault(name, {}).setdefault(key, []).append(value)
    return scores


def mean_and_spread(values: Sequence[float]) -> str:
    """``mean ± sd`` (sample standard deviation), or the value alone."""
    values = np.asarray(values, dtype=np.float64)
    if len(values) < 2:
        return f'{values.mean():.3g}'
    return f'{values.mean():.3g} ± {values.std(ddof=1):.2g}'
