"""mmagic's own ``MMagicInferencer`` running ``consistency_models``."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmagic.apis import MMagicInferencer
from mmagic.apis.inferencers import Inferencers
from mmagic.structures import DataSample
from mmengine import DefaultScope
from PIL import Image

from mmcm.apis import CheckpointError
from mmcm.apis.inferencers import (MODEL_NAME, TASK,
                                   register_mmagic_inferencer, zoo_settings)

NUM_IMAGES = 4


@pytest.fixture(autouse=True)
def restore_default_scope():
    """``MMagicInferencer`` makes ``mmagic`` the default scope: undo it."""
    saved = DefaultScope._instance_dict.copy()
    register_mmagic_inferencer()
    yield
    DefaultScope._instance_dict = saved


@pytest.fixture
def make_inferencer(tiny_config, tiny_checkpoint):
    """``MMagicInferencer`` on the tiny config and a random checkpoint."""

    def make(seed=0, **extra_parameters):
        extra_parameters.setdefault('num_batches', NUM_IMAGES)
        return MMagicInferencer(
            model_name=MODEL_NAME, model_config=tiny_config,
            model_ckpt=tiny_checkpoint, device='cpu', seed=seed,
            extra_parameters=extra_parameters)

    return make


def fake_images(results) -> torch.Tensor:
    return torch.stack([sample.fake_img for sample in results])


def test_registration_lists_model_and_settings():
    register_mmagic_inferencer()  # a second call changes nothing
    models = MMagicInferencer.get_inference_supported_models()
    assert models.count(MODEL_NAME) == 1
    assert 'biggan' in models
    settings = MMagicInferencer.inference_supported_models_cfg[MODEL_NAME]
    assert settings['task'] == TASK
    assert [s['Name'] for s in settings['settings']] == [
        s['Name'] for s in zoo_settings()]
    assert MMagicInferencer.get_task_supported_models(TASK) == [MODEL_NAME]


def test_settings_resolve_to_mmcm_configs_and_weights():
    editor = object.__new__(MMagicInferencer)
    resolve = editor._get_inferencer_kwargs
    first = zoo_settings()[0]
    assert resolve(MODEL_NAME, None, None, None, None, None) == dict(
        task=TASK, config=first['Config'], ckpt=first['Weights'])
    named = resolve(MODEL_NAME, None, 'cd-lpips_imagenet-64x64', None, None,
                    dict(sampler='onestep'))
    assert osp.basename(named['config']) == \
        'cd-lpips_adm-unet_2step_imagenet-64x64.py'
    assert named['ckpt'].endswith('/cd_imagenet64_lpips.pt')
    assert named['extra_parameters'] == dict(sampler='onestep')
    assert osp.isfile(named['config'])
    by_index = resolve(MODEL_NAME, 2, None, None, 'mine.pt', None)
    assert by_index['config'] == zoo_settings()[2]['Config']
    assert by_index['ckpt'] == 'mine.pt'
    with pytest.raises(ValueError, match='unknown config name'):
        resolve(MODEL_NAME, None, 'no-such-model', None, None, None)
    with pytest.raises(ValueError, match='out of range'):
        resolve(MODEL_NAME, len(zoo_settings()), None, None, None, None)


def test_other_models_and_tasks_stay_mmagic_s():
    editor = object.__new__(MMagicInferencer)
    kwargs = editor._get_inferencer_kwargs('biggan', None, None, None, None,
                                           None)
    assert kwargs['task'] != TASK
    assert 'mmagic' in kwargs['config']
    with pytest.raises(ValueError, match='Unknown inferencer task'):
        Inferencers(task='no such task')


def test_infer_returns_data_samples(make_inferencer, tmp_path):
    editor = make_inferencer()
    out = tmp_path / 'grid.png'
    results, images = editor.infer(label=3, result_out_dir=str(out),
                                   get_datasample=True)
    assert len(results) == NUM_IMAGES
    assert all(isinstance(sample, DataSample) for sample in results)
    pixels = fake_images(results)
    assert pixels.shape == (NUM_IMAGES, 3, 32, 32)
    assert pixels.min() >= 0 and pixels.max() <= 255
    assert pixels.std() > 1  # random weights, yet not a constant image
    assert [int(s.gt_label.label) for s in results] == [3] * NUM_IMAGES
    assert images.dtype == np.uint8 and images.shape == (NUM_IMAGES, 32, 32,
                                                         3)
    np.testing.assert_array_equal(
        images, pixels.to(torch.uint8).permute(0, 2, 3, 1).numpy())
    assert Image.open(out).size == (2 * 34 + 2, 2 * 34 + 2)


def test_infer_returns_dicts_by_default(make_inferencer):
    results, _ = make_inferencer().infer(label=[0, 1, 2, 3])
    assert [r['gt_label'] for r in results] == [0, 1, 2, 3]
    assert results[0]['fake_img'].shape == (3, 32, 32)


def test_seed_decides_images_and_labels(make_inferencer):
    first, _ = make_inferencer(seed=5).infer(get_datasample=True)
    again, _ = make_inferencer(seed=5).infer(get_datasample=True)
    other, _ = make_inferencer(seed=6).infer(get_datasample=True)
    torch.testing.assert_close(fake_images(first), fake_images(again))
    assert not torch.allclose(fake_images(first), fake_images(other))
    labels = [int(s.gt_label.label) for s in first]
    assert labels == [int(s.gt_label.label) for s in again]
    assert all(0 <= label < 10 for label in labels)


def test_extra_parameters_reach_the_sampler(make_inferencer):
    editor = make_inferencer()
    multistep, _ = editor.infer(label=1, get_datasample=True)
    onestep, _ = editor.infer(label=1, get_datasample=True,
                              extra_parameters=dict(sampler='onestep'))
    assert not torch.allclose(fake_images(multistep), fake_images(onestep))
    fresh = make_inferencer(sampler='onestep')
    again, _ = fresh.infer(label=1, get_datasample=True)
    torch.testing.assert_close(fake_images(onestep), fake_images(again))
    with pytest.raises(ValueError, match='unknown extra parameters'):
        editor.infer(extra_parameters=dict(sampler_name='onestep'))


def test_bad_checkpoint_and_labels(make_inferencer, tiny_config, tmp_path):
    with pytest.raises(CheckpointError, match='checkpoint not found'):
        MMagicInferencer(model_name=MODEL_NAME, model_config=tiny_config,
                         model_ckpt=str(tmp_path / 'missing.pt'),
                         device='cpu')
    with pytest.raises(ValueError, match=r'must lie in \[0, 9\]'):
        make_inferencer().infer(label=10)
