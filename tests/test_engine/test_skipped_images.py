"""A damaged image mid-run is skipped, logged and counted in checkpoints."""
import glob
import io
import os.path as osp
import tarfile

import numpy as np
import pytest
from mmengine import Config
from mmengine.runner import Runner
from PIL import Image
from sklearn.datasets import load_digits

from mmcm.datasets.digits import digits_to_uint8
from mmcm.utils.checkpoint import load_checkpoint_file
from .test_resume_and_distributed import CONFIG


def write_digit_shard(path, count=9):
    """``count`` RGB 16x16 digits and one undecodable image, labelled."""
    digits = load_digits()
    images = digits_to_uint8(digits.images[:count], 16)
    members = []
    for i, image in enumerate(images):
        buffer = io.BytesIO()
        Image.fromarray(np.repeat(image[..., None], 3, -1)).save(buffer,
                                                                  'PNG')
        members += [(f'{i:03d}.png', buffer.getvalue()),
                    (f'{i:03d}.cls', str(digits.target[i]).encode())]
    members += [('999.png', b'\x89PNG cut short'), ('999.cls', b'0')]
    with tarfile.open(path, 'w') as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


@pytest.mark.parametrize('workers', [0, 2])
def test_training_skips_logs_and_checkpoints_unreadable_images(tmp_path,
                                                               workers):
    """With workers, the forked processes add to the main one's count."""
    write_digit_shard(tmp_path / 'shard-0.tar')
    cfg = Config.fromfile(CONFIG)
    cfg.model.network.update(in_channels=3, out_channels=3)
    cfg.train_dataloader.dataset = dict(
        type='TarShardDataset', data_root=str(tmp_path),
        pipeline=[dict(type='LoadImageRGB'),
                  dict(type='PackConsistencyInputs')])
    cfg.train_dataloader.update(num_workers=workers, persistent_workers=False)
    cfg.train_cfg.max_iters = 4
    cfg.work_dir = str(tmp_path / 'run')
    runner = Runner.from_cfg(cfg)
    runner.train()
    # 32 draws from 10 items in shuffled epochs: the broken one at least
    # three times (and again whenever it replaces itself).
    skipped = runner.train_dataloader.dataset.skipped.value
    assert skipped >= 3
    meta = load_checkpoint_file(osp.join(cfg.work_dir, 'iter_4.pth'))['meta']
    if workers:  # they read ahead of the saved iteration
        assert 3 <= meta['skipped_images'] <= skipped
    else:
        assert meta['skipped_images'] == skipped
    log = glob.glob(osp.join(cfg.work_dir, '*', '*.log'))[0]
    with open(log, encoding='utf-8') as f:
        text = f.read()
    assert 'skipping an unreadable image' in text
    assert 'unreadable training images skipped so far' in text
