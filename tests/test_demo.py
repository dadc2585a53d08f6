"""``demo/mmagic_inference_demo.py`` end to end, in process."""
import importlib.util
import os.path as osp

import numpy as np
import pytest
from mmengine import DefaultScope
from PIL import Image

from mmcm.apis.inferencers import zoo_settings

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def load_demo():
    path = osp.join(REPO, 'demo', 'mmagic_inference_demo.py')
    spec = importlib.util.spec_from_file_location('mmagic_inference_demo',
                                                  path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


demo = load_demo()


@pytest.fixture(autouse=True)
def restore_default_scope():
    """The demo leaves ``mmagic`` as the default scope: undo it."""
    saved = DefaultScope._instance_dict.copy()
    yield
    DefaultScope._instance_dict = saved


@pytest.fixture
def tiny_args(tiny_config, tiny_checkpoint):
    return ['--model-name', 'consistency_models', '--model-config',
            tiny_config, '--model-ckpt', tiny_checkpoint, '--device', 'cpu']


def one_line_error(capsys) -> str:
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith('error: ')
    return lines[0]


def test_demo_writes_grid(tiny_args, tmp_path):
    out = tmp_path / 'out.png'
    assert demo.main(tiny_args + [
        '--label', '7', '--seed', '1', '--extra-parameters', 'num_batches=6',
        '--result-out-dir', str(out)]) == 0
    grid = Image.open(out)
    assert grid.mode == 'RGB'
    assert grid.size == (3 * 34 + 2, 2 * 34 + 2)  # 3 columns, 2 rows


def test_demo_folder_output_and_mmcm_path_agree(tiny_args, tiny_config,
                                                tiny_checkpoint, tmp_path):
    argv = tiny_args + ['--seed', '3', '--extra-parameters', 'num_batches=4',
                        'sampler=onestep', '--result-out-dir',
                        str(tmp_path / 'grids')]
    assert demo.main(argv) == 0
    by_mmagic = tmp_path / 'grids' / 'consistency_models.png'
    by_mmcm = tmp_path / 'mmcm.png'
    images = demo.sample_with_mmcm(demo.parse_args(argv), tiny_config,
                                   tiny_checkpoint, str(by_mmcm))
    assert images.shape == (4, 32, 32, 3)
    np.testing.assert_array_equal(np.asarray(Image.open(by_mmagic)),
                                  np.asarray(Image.open(by_mmcm)))


def test_print_supported_models(capsys):
    assert demo.main(['--print-supported-models']) == 0
    out = capsys.readouterr().out
    assert "'consistency_models'" in out  # in mmagic's list
    for setting in zoo_settings():
        assert setting['Name'] in out


def test_missing_checkpoint(tiny_config, tmp_path, capsys):
    missing = tmp_path / 'missing.pt'
    assert demo.main(['--model-config', tiny_config, '--model-ckpt',
                      str(missing), '--device', 'cpu', '--result-out-dir',
                      str(tmp_path / 'out.png')]) == 1
    assert one_line_error(capsys) == f'error: checkpoint not found: {missing}'
    assert not (tmp_path / 'out.png').exists()


@pytest.mark.parametrize('argv, message', [
    (['--config-name', 'no-such-model'], "unknown config name 'no-such"),
    (['--model-setting', '99'], 'model setting 99 is out of range'),
    (['--model-config', 'missing.py'], 'config file not found: missing.py'),
])
def test_bad_model_choice(argv, message, capsys):
    assert demo.main(argv) == 1
    assert message in one_line_error(capsys)


def test_config_outside_zoo_needs_checkpoint(tiny_config, capsys):
    assert demo.main(['--model-config', tiny_config]) == 1
    assert 'pass --model-ckpt' in one_line_error(capsys)


def test_unknown_extra_parameter(tiny_args, tmp_path, capsys):
    assert demo.main(tiny_args + ['--extra-parameters', 'samplr=onestep',
                                  '--result-out-dir',
                                  str(tmp_path / 'x.png')]) == 1
    assert 'unknown extra parameters' in one_line_error(capsys)
