"""Latent moments in tar shards: encoded once by tools/encode_latents.py
with a tiny VAE, read back by LatentShardDataset, trained on in the VAE's
latent space and sampled back into pixels."""
import json
import os
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine import Config
from mmengine.runner import Runner
from PIL import Image

from mmcm.datasets import ImageFolderDataset, LatentShardDataset
from mmcm.models.latents import StabilityVAE
from mmcm.registry import DATASETS
from mmcm.utils.checkpoint import load_checkpoint_file

from ..conftest import REPO
from ..test_engine.test_resume_and_distributed import CONFIG
from ..test_models.tiny_vae import save_tiny_vae

pytest.importorskip('diffusers')
pytest.importorskip('sklearn')

COUNT = 20
LATENTS_CONFIG = osp.join(REPO, 'configs', '_base_', 'datasets',
                          'imagenet-512x512-latents.py')


@pytest.fixture(scope='module')
def vae_path(tmp_path_factory):
    return save_tiny_vae(str(tmp_path_factory.mktemp('vae') / 'tiny_vae'))


@pytest.fixture(scope='module')
def digit_folder(tmp_path_factory):
    """``<digit>_<i>.png``: the first 20 digits at 16x16 in RGB, so the
    folder's class indices are the digits."""
    from sklearn.datasets import load_digits

    from mmcm.datasets.digits import digits_to_uint8
    digits = load_digits()
    folder = tmp_path_factory.mktemp('digits')
    pixels = digits_to_uint8(digits.images[:COUNT], 16)
    for i, (image, label) in enumerate(zip(pixels, digits.target)):
        Image.fromarray(np.repeat(image[..., None], 3, -1)).save(
            folder / f'{label}_{i:03d}.png')
    return str(folder)


def encode(source, out, vae, *options):
    from tools.encode_latents import main
    return main([source, str(out), '--vae', vae, '--format', 'folder',
                 '--class-cond', '--resolution', '16', '--batch-size', '3',
                 '--items-per-shard', '8', *options])


@pytest.fixture(scope='module')
def shards(tmp_path_factory, digit_folder, vae_path):
    out = tmp_path_factory.mktemp('latents') / 'digits_latents'
    assert encode(digit_folder, out, vae_path) == COUNT
    return str(out)


def test_the_tool_writes_shards_the_data_set_reads(shards, digit_folder,
                                                   vae_path):
    assert sorted(os.listdir(shards)) == [
        'index.json', 'latents.json', 'shard-000000.tar', 'shard-000001.tar',
        'shard-000002.tar']
    dataset = LatentShardDataset(data_root=shards)
    assert len(dataset) == COUNT
    meta = dataset.latents_meta
    assert meta['count'] == COUNT and meta['resolution'] == 16
    assert meta['moments'] == dict(shape=[8, 8, 8], dtype='float32')
    assert meta['pixel_range'] == [0.0, 1.0]
    source = ImageFolderDataset(data_root=digit_folder, class_cond=True)
    pixels = torch.stack([
        torch.from_numpy(np.array(Image.open(
            source.get_data_info(i)['img_path']).convert('RGB')))
        for i in range(COUNT)]).permute(0, 3, 1, 2)
    mean, std = StabilityVAE(path=vae_path).encode_moments(pixels)
    for i in (0, 7, 8, 19):  # across shard boundaries
        item = dataset[i]['inputs']
        assert item['img'].shape == (8, 8, 8)
        assert item['img'].dtype == torch.float32
        assert int(item['labels']) == source.get_data_info(i)['gt_label']
        torch.testing.assert_close(item['img'],
                                   torch.cat([mean[i], std[i]]),
                                   atol=1e-5, rtol=1e-5)
    os.rename(osp.join(shards, 'index.json'), osp.join(shards, 'moved'))
    try:  # without the index the tar headers are scanned
        scanned = LatentShardDataset(data_root=shards)
        assert [scanned.get_data_info(i) for i in range(COUNT)] == [
            dataset.get_data_info(i) for i in range(COUNT)]
    finally:
        os.rename(osp.join(shards, 'moved'), osp.join(shards, 'index.json'))


def test_float16_moments_and_the_base_config(tmp_path, digit_folder,
                                             vae_path):
    out = tmp_path / 'half'
    assert encode(digit_folder, out, vae_path, '--dtype', 'float16') == COUNT
    cfg = Config.fromfile(LATENTS_CONFIG)
    assert cfg.latents.path == cfg.vae_path
    dataset_cfg = cfg.train_dataloader.dataset
    assert dataset_cfg.data_root == cfg.data_root
    dataset = DATASETS.build(dict(dataset_cfg, data_root=str(out)))
    item = dataset[3]['inputs']
    assert item['img'].dtype == torch.float16
    assert item['img'].shape == (8, 8, 8) and 'labels' in item


def test_encoding_with_a_missing_vae_names_it(tmp_path, digit_folder):
    missing = str(tmp_path / 'sd-vae-ft-mse')
    with pytest.raises(FileNotFoundError, match='huggingface-cli download'):
        encode(digit_folder, tmp_path / 'out', missing)
    assert not osp.exists(tmp_path / 'out')


def latent_training_config(shards, vae_path, work_dir):
    """The tiny digits CT run on 4x8x8 latents of the tiny VAE."""
    cfg = Config.fromfile(CONFIG)
    base = Config.fromfile(LATENTS_CONFIG)
    cfg.model.network.update(image_size=8, in_channels=4, out_channels=4,
                             attention_resolutions=())
    cfg.model.data_preprocessor = dict(type='ConsistencyDataPreprocessor',
                                       latents=dict(base.latents,
                                                    path=vae_path))
    cfg.train_dataloader.dataset = dict(base.train_dataloader.dataset,
                                        data_root=shards)
    cfg.train_dataloader.update(batch_size=4, num_workers=0,
                                persistent_workers=False)
    cfg.train_cfg.max_iters = 2
    cfg.default_hooks.checkpoint.update(interval=2)
    cfg.work_dir = str(work_dir)
    return cfg


def test_training_in_latent_space_then_sampling_pixels(tmp_path, shards,
                                                       vae_path):
    from tools.sample import main as sample

    from mmcm.apis import generate_samples
    from mmcm.engine.loops import grid_image
    cfg = latent_training_config(shards, vae_path, tmp_path / 'run')
    runner = Runner.from_cfg(cfg)
    runner.train()
    model = runner.model
    assert model.latent_space and model.image_shape == (4, 8, 8)
    checkpoint = osp.join(cfg.work_dir, 'iter_2.pth')
    state = load_checkpoint_file(checkpoint)['state_dict']
    assert not any(k.startswith('data_preprocessor') for k in state)
    model.eval()
    outputs = model.val_step(dict(inputs=dict(
        sample_index=[0, 1, 2], num_samples=3)))
    assert tuple(outputs[0].fake_img.shape) == (3, 16, 16)  # RGB pixels
    assert grid_image(outputs).shape[-1] == 3
    images, labels = generate_samples(model, 4, 3, progress=False)
    assert images.shape == (4, 16, 16, 3) and images.dtype == np.uint8
    assert labels.shape == (4, )
    config = str(tmp_path / 'latent_digits.py')
    cfg.dump(config)
    out = tmp_path / 'samples'
    assert sample([config, checkpoint, '--num-samples', '2', '--batch-size',
                   '2', '--out', str(out), '--grid', '--no-progress']) == 0
    with np.load(out / 'samples_2x16x16x3.npz') as saved:
        assert saved['arr_0'].dtype == np.uint8
    assert (out / 'samples_grid.png').is_file()


def test_index_lists_the_npy_members(shards):
    with open(osp.join(shards, 'index.json'), encoding='utf-8') as f:
        index = json.load(f)
    assert [len(items) for items in index.values()] == [8, 8, 4]
    first = index['shard-000000.tar'][0]
    assert first['key'] == '00000000' and first['label'] is not None


def test_a_recipe_takes_the_base_latent_space(tmp_path, vae_path):
    from mmcm.registry import MODELS
    model_base = osp.join(REPO, 'configs', '_base_', 'models',
                          'cm_adm-unet_digits-16x16.py')
    recipe = tmp_path / 'latent_recipe.py'
    recipe.write_text(
        f'_base_ = [{model_base!r}, {LATENTS_CONFIG!r}]\n'
        'model = dict(\n'
        '    data_preprocessor=dict(latents={{_base_.latents}}),\n'
        '    network=dict(image_size=8, in_channels=4, out_channels=4,\n'
        '                 attention_resolutions=()))\n')
    cfg = Config.fromfile(str(recipe))
    latents = cfg.model.data_preprocessor.latents
    assert latents.path == 'checkpoints/sd-vae-ft-mse'
    assert cfg.model.data_preprocessor.type == 'ConsistencyDataPreprocessor'
    assert cfg.train_dataloader.dataset.type == 'LatentShardDataset'
    latents.path = vae_path
    model = MODELS.build(cfg.model)
    assert model.latent_space and model.image_shape == (4, 8, 8)
    assert model.data_preprocessor.latents.final_std == 0.5
