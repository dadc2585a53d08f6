"""Validation and test loops that generate images and score them.

The dataloader yields sample indices (see
:class:`~mmcm.datasets.GenerationDataset`); the model generates one image
per index in ``predict`` mode and the evaluator's metrics (FID, IS, PR)
score them. With ``settings``, the whole set is generated once per named
sampling setting (e.g. one-step and two-step) and every metric is
reported as ``{setting}/{metric}``. The first ``grid_size`` images of each
setting go to the visualizer (its backends save or log them).
"""
from typing import Dict, List, Optional

import numpy as np
import torch
from mmengine.runner import TestLoop, ValLoop

from mmcm.registry import LOOPS
from mmcm.utils.functional import pixels_to_uint8_nhwc
from mmcm.visualization import make_image_grid


def with_sampling_options(data_batch: dict, options: dict) -> dict:
    """A copy of ``data_batch`` whose inputs carry sampling ``options``."""
    if not options:
        return data_batch
    inputs = dict(data_batch.get('inputs') or {}, **options)
    return dict(data_batch, inputs=inputs)


def grid_image(samples: List, key: str = 'fake_img') -> np.ndarray:
    """An ``(H, W, 3)`` uint8 grid of the generated images of ``samples``."""
    images = torch.stack([torch.as_tensor(s.get(key)) for s in samples])
    return make_image_grid(pixels_to_uint8_nhwc(images))


class GenerationLoopMixin:
    """Shared body of :class:`GenerationValLoop` and ``GenerationTestLoop``.

    Args:
        runner, dataloader, evaluator: See mmengine's ``ValLoop``.
        settings: ``{name: sampling options}`` (keys of the model's
            ``sampling_cfg``), e.g. ``dict(onestep=dict(sampler='onestep'),
            twostep=dict(sampler='multistep', ts=(0, 22, 39)))``; ``None``
            generates once with the model's own ``sampling_cfg``.
        grid_size: Images of each setting shown by the visualizer.
    """

    stage = 'val'

    def __init__(self, runner, dataloader, evaluator,
                 settings: Optional[Dict[str, dict]] = None,
                 grid_size: int = 64) -> None:
        super().__init__(runner, dataloader, evaluator)
        self.settings = dict(settings) if settings else {None: {}}
        self.grid_size = grid_size
        self._options: dict = {}
        self._grid: list = []

    def run(self) -> dict:
        stage = self.stage
        self.runner.call_hook(f'before_{stage}')
        self.runner.call_hook(f'before_{stage}_epoch')
        self.runner.model.eval()
        metrics = {}
        for name, options in self.settings.items():
            metrics.update(self._generate_and_score(name, options))
        self.runner.call_hook(f'after_{stage}_epoch', metrics=metrics)
        self.runner.call_hook(f'after_{stage}')
        return metrics

    def _generate_and_score(self, name: Optional[str],
                            options: dict) -> dict:
        self._options, self._grid = dict(options), []
        for idx, data_batch in enumerate(self.dataloader):
            self.run_iter(idx, data_batch)
        self._show_grid(name)
        scores = self.evaluator.evaluate(len(self.dataloader.dataset))
        if name is None:
            return scores
        return {f'{name}/{key}': value for key, value in scores.items()}

    @torch.no_grad()
    def run_iter(self, idx: int, data_batch: dict) -> None:
        stage = self.stage
        data_batch = with_sampling_options(data_batch, self._options)
        self.runner.call_hook(f'before_{stage}_iter', batch_idx=idx,
                              data_batch=data_batch)
        outputs = getattr(self.runner.model, f'{stage}_step')(data_batch)
        self.evaluator.process(data_samples=outputs, data_batch=data_batch)
        if len(self._grid) < self.grid_size:
            self._grid.extend(outputs[:self.grid_size - len(self._grid)])
        self.runner.call_hook(f'after_{stage}_iter', batch_idx=idx,
                              data_batch=data_batch, outputs=outputs)

    def _show_grid(self, name: Optional[str]) -> None:
        if not self._grid:
            return
        title = f'{self.stage}_{name}' if name else f'{self.stage}_samples'
        self.runner.visualizer.add_image(title, grid_image(self._grid),
                                         step=self.runner.iter)


@LOOPS.register_module()
class GenerationValLoop(GenerationLoopMixin, ValLoop):
    """Validation that samples with the EMA model and logs FID and friends
    (arguments: see :class:`GenerationLoopMixin`)."""

    stage = 'val'


@LOOPS.register_module()
class GenerationTestLoop(GenerationLoopMixin, TestLoop):
    """Test loop of ``tools/test.py``: generate N images, score them
    (arguments: see :class:`GenerationLoopMixin`)."""

    stage = 'test'
