import os.path as osp
import sys

import numpy as np
import pytest
from PIL import Image

from ..conftest import REPO

sys.path.insert(0, osp.join(REPO, 'tools'))
import edit as edit_tool  # noqa: E402

SIZE = 32


@pytest.fixture(scope='module')
def inputs(tmp_path_factory):
    """Two RGB pictures, a grayscale one and a mask, as files."""
    folder = tmp_path_factory.mktemp('edit_inputs')
    rng = np.random.default_rng(1)
    paths = []
    for name in ('a', 'b'):
        pixels = rng.integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / f'{name}.png')
        paths.append(str(folder / f'{name}.png'))
    gray = rng.integers(0, 256, (SIZE, SIZE), dtype=np.uint8)
    Image.fromarray(gray).save(folder / 'gray.png')
    mask = np.zeros((SIZE, SIZE), np.uint8)
    mask[8:20, 4:30] = 255
    Image.fromarray(mask).save(folder / 'mask.png')
    return dict(rgb=paths, gray=str(folder / 'gray.png'),
                mask=str(folder / 'mask.png'))


def run(config, checkpoint, out, *extra):
    return edit_tool.main([config, checkpoint, '--out-dir', str(out),
                           '--no-progress', '--class-labels', '1', *extra])


def read(path) -> np.ndarray:
    return np.asarray(Image.open(path))


def test_inpaint_files_keep_known_pixels_and_grid(tiny_config,
                                                  tiny_checkpoint, inputs,
                                                  tmp_path):
    assert run(tiny_config, tiny_checkpoint, tmp_path, '--task', 'inpaint',
               '--images', *inputs['rgb'], '--mask', inputs['mask'],
               '--num-variants', '2', '--zoom', '2') == 0
    known = read(inputs['mask']) < 128
    for stem, source in zip('ab', inputs['rgb']):
        for k in range(2):
            result = read(tmp_path / f'{stem}_inpaint_{k}.png')
            assert np.array_equal(result[known], read(source)[known])
        assert not np.array_equal(read(tmp_path / f'{stem}_inpaint_0.png'),
                                  read(tmp_path / f'{stem}_inpaint_1.png'))
    # Two rows (inputs) of input, observation and two variants, zoomed x2.
    grid = Image.open(tmp_path / 'inpaint_grid.png')
    assert grid.size == (2 * (4 * 34 + 2), 2 * (2 * 34 + 2))


def test_colorize_grayscale_file(tiny_config, tiny_checkpoint, inputs,
                                 tmp_path):
    assert run(tiny_config, tiny_checkpoint, tmp_path, '--task', 'colorize',
               '--images', inputs['gray']) == 0
    result = read(tmp_path / 'gray_colorize.png').astype(float)
    luma = result @ np.array([0.2989, 0.5870, 0.1140])
    gray = read(inputs['gray']).astype(float) * 0.9999
    # Equal up to 8-bit rounding and clipping of saturated colours.
    assert np.median(np.abs(luma - gray)) < 1.0


def test_superres_from_a_downscaled_file(tiny_config, tiny_checkpoint,
                                         inputs, tmp_path):
    small = tmp_path / 'small.png'
    Image.open(inputs['rgb'][0]).resize((8, 8), Image.BOX).save(small)
    assert run(tiny_config, tiny_checkpoint, tmp_path, '--task', 'superres',
               '--images', str(small)) == 0
    result = read(tmp_path / 'small_superres.png').astype(float)
    means = result.reshape(8, 4, 8, 4, 3).mean(axis=(1, 3))
    assert np.abs(means - read(small)).max() < 1.0


def test_interpolate_writes_frames(tiny_config, tiny_checkpoint, tmp_path):
    assert run(tiny_config, tiny_checkpoint, tmp_path, '--task',
               'interpolate', '--seeds', '3', '4', '--num-frames', '4') == 0
    frames = [read(tmp_path / f'interpolate_{i:02d}.png') for i in range(4)]
    assert all(f.shape == (SIZE, SIZE, 3) for f in frames)
    assert Image.open(tmp_path / 'interpolate_grid.png').size == (4 * 34 + 2,
                                                                  36)


@pytest.mark.parametrize('extra, message', [
    (['--task', 'inpaint'], 'inpaint needs --images'),
    (['--task', 'stroke', '--images', 'GRAY'], 'got grayscale ones'),
    (['--task', 'inpaint', '--images', 'RGB', '--mask', 'middle'],
     "unknown mask 'middle'"),
    (['--task', 'superres', '--images', 'RGB', '--factor', '5'],
     'does not divide'),
])
def test_errors_exit_with_a_message(tiny_config, tiny_checkpoint, inputs,
                                    tmp_path, capsys, extra, message):
    extra = [dict(GRAY=inputs['gray'], RGB=inputs['rgb'][0]).get(e, e)
             for e in extra]
    assert run(tiny_config, tiny_checkpoint, tmp_path, *extra) == 1
    assert message in capsys.readouterr().err


def test_resize_centre_crops_other_sizes(tiny_config, tiny_checkpoint,
                                         inputs, tmp_path, capsys):
    big = tmp_path / 'big.png'
    Image.open(inputs['rgb'][0]).resize((48, 40)).save(big)
    args = ['--task', 'stroke', '--images', str(big)]
    assert run(tiny_config, tiny_checkpoint, tmp_path, *args) == 1
    assert 'are 40x48 but' in capsys.readouterr().err
    assert run(tiny_config, tiny_checkpoint, tmp_path, *args,
               '--resize') == 0
    assert read(tmp_path / 'big_stroke.png').shape == (SIZE, SIZE, 3)


def test_bundled_digits_model_and_inputs(tmp_path):
    config = osp.join(REPO, 'configs', 'consistency_models', 'digits',
                      'cm-ct_adm-unet_1step_digits-16x16.py')
    checkpoint = osp.join(REPO, 'checkpoints', 'cm-ct_digits-16x16.pt')
    digit = osp.join(REPO, 'demo', 'resources', 'digits', 'digit_3.png')
    assert edit_tool.main([config, checkpoint, '--task', 'inpaint',
                           '--images', digit, '--mask', 'top',
                           '--class-labels', '3', '--no-progress',
                           '--out-dir', str(tmp_path)]) == 0
    result, source = read(tmp_path / 'digit_3_inpaint.png'), read(digit)
    assert result.shape == source.shape == (16, 16)  # gray
    assert np.array_equal(result[8:], source[8:])
    assert not np.array_equal(result[:8], source[:8])
