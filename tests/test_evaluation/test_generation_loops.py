"""Val/test loops: generate by sample index, score, log, show a grid."""
import glob
import os.path as osp

import numpy as np
import pytest
from mmengine.config import Config
from mmengine.evaluator import Evaluator
from mmengine.runner import Runner

from mmcm.apis import evaluate_model, load_weights
from mmcm.evaluation import FrechetInceptionDistance, save_statistics
from ..conftest import TINY_CONFIG
from .test_fid import DIM, FirstFeatures

SETTINGS = dict(onestep=dict(sampler='onestep'),
                twostep=dict(sampler='multistep', steps=10, ts=(0, 5, 9)))


@pytest.fixture(scope='module')
def reference(tmp_path_factory):
    rng = np.random.default_rng(4)
    feats = rng.normal(size=(40, DIM))
    path = str(tmp_path_factory.mktemp('loops') / 'ref.npz')
    save_statistics(path, feats.mean(0), np.cov(feats, rowvar=False))
    return path


def _loader(num_samples, batch_size):
    return dict(
        batch_size=batch_size, num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
        collate_fn=dict(type='pseudo_collate'),
        dataset=dict(type='GenerationDataset', num_samples=num_samples,
                     num_classes=10))


def _runner(tmp_path, reference, extractor, checkpoint, stage):
    metric = FrechetInceptionDistance(reference=reference,
                                      extractor=extractor)
    loop = dict(type=f'Generation{stage.capitalize()}Loop',
                settings=SETTINGS, grid_size=4)
    runner = Runner(
        model=Config.fromfile(TINY_CONFIG).model, work_dir=str(tmp_path),
        default_scope='mmcm', **{f'{stage}_dataloader': _loader(6, 4),
                                 f'{stage}_evaluator': Evaluator([metric]),
                                 f'{stage}_cfg': loop})
    load_weights(runner.model, checkpoint)
    return runner


@pytest.mark.parametrize('stage', ['val', 'test'])
def test_loop_scores_each_setting_like_evaluate_model(
        tmp_path, stage, reference, inception, tiny_checkpoint):
    extractor = FirstFeatures(inception)
    runner = _runner(tmp_path, reference, extractor, tiny_checkpoint, stage)
    metrics = getattr(runner, stage)()
    assert sorted(metrics) == ['onestep/FID', 'twostep/FID']
    assert metrics['onestep/FID'] != metrics['twostep/FID']
    for name, options in SETTINGS.items():
        metric = FrechetInceptionDistance(reference=reference,
                                          extractor=extractor)
        # Other batches, one process, no runner: the same images.
        direct = evaluate_model(runner.model, [metric], 6, batch_size=5,
                                progress=False, **options)
        assert metrics[f'{name}/FID'] == pytest.approx(direct['FID'],
                                                       rel=1e-4)
        grids = glob.glob(osp.join(str(tmp_path), '*', 'vis_data',
                                   'vis_image', f'{stage}_{name}_*.png'))
        assert len(grids) == 1
