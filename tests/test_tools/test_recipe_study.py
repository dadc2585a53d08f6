"""tools/recipe_study.py: budgets, the train -> choose -> score path, table."""
import json
import os.path as osp
import sys

import pytest
import torch
from mmengine import Config

from mmcm.analysis.study import (TWO_STEP_MIDDLES, fit_to_budget,
                                 mean_and_spread)

from ..conftest import REPO

sys.path.insert(0, osp.join(REPO, 'tools'))
from recipe_study import main, markdown_table  # noqa: E402

pytest.importorskip('sklearn')
TRAIN = osp.join(REPO, 'configs', 'consistency_models', 'train')
CT = osp.join(TRAIN, 'cm-ct_adm-unet_1xb32-1k_digits-16x16.py')


def recipe(name: str) -> Config:
    return Config.fromfile(
        osp.join(TRAIN, f'{name}_adm-unet_1xb32-1k_digits-16x16.py'))


def test_fit_to_budget_scales_every_step_count():
    ect = fit_to_budget(recipe('ect'), 500)
    assert ect.train_cfg.max_iters == 500
    # 250 at 1,000
    assert ect.model.training.curriculum.scales.stage_iters == 125
    ict = fit_to_budget(recipe('cm-ict'), 2615)
    assert ict.model.training.curriculum.scales.total_steps == 2615
    sct = fit_to_budget(recipe('scm-sct'), 1225)
    assert sct.model.training.objective.warmup_steps == 123  # 100 at 1,000
    assert sct.val_dataloader is None and sct.val_evaluator is None
    assert sct.default_hooks.checkpoint.interval == 1225
    with pytest.raises(ValueError, match='positive'):
        fit_to_budget(recipe('cm-ct'), 0)


def test_mean_and_spread():
    assert mean_and_spread([1.0, 2.0, 3.0]) == '2 ± 1'
    assert mean_and_spread([0.25]) == '0.25'


TINY = [
    'model.network.num_res_blocks=1', 'model.network.channel_mult=[1,2]',
    'train_dataloader.batch_size=8', 'val_evaluator.0.classifier.epochs=1'
]


def study(tmp_path, *args):
    main([*args, '--work-dir', str(tmp_path)])


def test_run_trains_the_budget_chooses_and_scores(tmp_path):
    # One second per iteration, as if calibrated: a 4-second budget is 4.
    (tmp_path / 'calibration.json').write_text(json.dumps(dict(tiny=1.0)))
    tiny = TINY + [f'val_evaluator.0.cache_dir={tmp_path}']
    study(tmp_path, 'run', CT, '--name', 'tiny', '--budget', '4',
          '--sampling-seeds', '0', '1', '--num-samples', '20',
          '--cfg-options', *tiny)
    row = json.loads((tmp_path / 'results.jsonl').read_text())
    assert row['iterations'] == 4 and row['seed'] == 0
    assert row['weights'] in ('ema', 'online')
    assert row['middle'] in TWO_STEP_MIDDLES
    chosen = row['selection_fd']['onestep']
    assert min(chosen, key=chosen.get) == row['weights']
    for mode in ('onestep', 'twostep'):
        scores = row['scores'][mode]
        assert len(scores['FD']) == 2 and min(scores['FD']) > 0
        assert all(0 <= a <= 1 for a in scores['accuracy'])
    # Seeds give other samples; the same seed the same ones.
    assert scores['FD'][0] != scores['FD'][1]
    checkpoint = tmp_path / 'tiny' / 'seed0' / 'iter_4.pth'
    assert torch.load(checkpoint, weights_only=False)['meta']['iter'] == 4

    # Scoring the exported weights elsewhere gives the same numbers.
    exported = str(checkpoint).replace('.pth', f'_{row["weights"]}.pt')
    study(tmp_path, 'score', CT, exported, '--name', 'again',
          '--sampling-seeds', '0', '1', '--num-samples', '20',
          '--cfg-options', *tiny)
    again = json.loads((tmp_path / 'results.jsonl').read_text()
                       .splitlines()[1])
    assert again['scores']['onestep'] == row['scores']['onestep']
    table = markdown_table([row, again]).splitlines()
    assert len(table) == 4 and table[2].startswith('| tiny | 1 | 4 |')


def test_meanflow_scores_its_own_two_jumps(tmp_path):
    """MeanFlow's two steps are its jumps along the flow: no middle step
    is searched, and the two-step scores come from the meanflow sampler."""
    meanflow = osp.join(TRAIN, 'meanflow_adm-unet_1xb32-1k_digits-16x16.py')
    tiny = TINY + [f'val_evaluator.0.cache_dir={tmp_path}']
    study(tmp_path, 'run', meanflow, '--name', 'mf', '--iterations', '2',
          '--sampling-seeds', '0', '--num-samples', '20',
          '--cfg-options', *tiny)
    row = json.loads((tmp_path / 'results.jsonl').read_text())
    assert row['middle'] is None
    assert list(row['selection_fd']['twostep']) == ['meanflow']
    assert len(row['scores']['twostep']['FD']) == 1


def test_run_needs_a_calibration(tmp_path):
    with pytest.raises(SystemExit, match='not calibrated'):
        study(tmp_path, 'run', CT, '--name', 'unknown')


def test_run_with_given_iterations_needs_no_calibration(tmp_path,
                                                        monkeypatch):
    import recipe_study
    trained = []
    monkeypatch.setattr(recipe_study, 'train',
                        lambda cfg, iters, seed, work_dir: trained.append(
                            (iters, seed)) or 'ckpt.pth')
    monkeypatch.setattr(recipe_study, 'export_weights', lambda path: {})
    monkeypatch.setattr(recipe_study, 'evaluate',
                        lambda cfg, weights, args: dict(weights='online'))
    study(tmp_path, 'run', CT, '--name', 'unknown', '--iterations', '37',
          '--seeds', '1', '2')
    assert trained == [(37, 1), (37, 2)]
    rows = (tmp_path / 'results.jsonl').read_text().splitlines()
    assert [json.loads(r)['iterations'] for r in rows] == [37, 37]


def test_table_averages_sampling_seeds_then_training_seeds():
    def row(seed, fds):
        scores = {c: [0.5] * len(fds) for c in (
            'CS', 'accuracy', 'variance_ratio', 'copy_rate')}
        return dict(name='r', seed=seed, iterations=7, scores=dict(
            onestep=dict(scores, FD=fds), twostep=dict(scores, FD=fds)))

    line = markdown_table([row(0, [1.0, 3.0]), row(1, [4.0, 6.0])])
    cells = line.splitlines()[2].split(' | ')
    assert cells[:4] == ['| r', '2', '7', '3.5 ± 2.1']  # means 2 and 5
