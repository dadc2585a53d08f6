"""Every config builds; the zoo matches the official launch script."""
import glob
import os.path as osp

import pytest
import torch
import yaml
from mmengine import Config

from mmcm.registry import MODELS

from .conftest import REPO

CONFIGS = sorted(
    glob.glob(osp.join(REPO, 'configs', 'consistency_models', '**', '*.py'),
              recursive=True))

# Two-step indices of the official launch script (Cat CD uses Bedroom's).
OFFICIAL_TWO_STEP = {
    'cd-l2_adm-unet_2step_imagenet-64x64.py': ((0, 22, 39), 40),
    'cd-lpips_adm-unet_2step_imagenet-64x64.py': ((0, 22, 39), 40),
    'ct_adm-unet_2step_imagenet-64x64.py': ((0, 106, 200), 201),
    'cd-l2_adm-unet_2step_lsun-bedroom-256x256.py': ((0, 18, 39), 40),
    'cd-lpips_adm-unet_2step_lsun-bedroom-256x256.py': ((0, 17, 39), 40),
    'ct_adm-unet_2step_lsun-bedroom-256x256.py': ((0, 67, 150), 151),
    'ct_adm-unet_2step_lsun-cat-256x256.py': ((0, 62, 150), 151),
}
MMAGIC_NAMES = [
    'consistency_models_8xb256-imagenet1k-onestep-64x64.py',
    'consistency_models_8xb256-imagenet1k-multistep-64x64.py',
    'consistency_models_8xb32-LSUN-bedroom-onestep-256x256.py',
    'consistency_models_8xb32-LSUN-bedroom-multistep-256x256.py',
    'consistency_models_8xb32-LSUN-cat-onestep-256x256.py',
    'consistency_models_8xb32-LSUN-cat-multistep-256x256.py',
]


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_config_builds_on_meta_device(path):
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'mmcm'
    with torch.device('meta'):
        model = MODELS.build(cfg.model)
    sampling = model.sampling_cfg
    if sampling['sampler'] == 'multistep':
        assert sampling['ts'][-1] == sampling['steps'] - 1
    name = osp.basename(path)
    if name.startswith('edm_'):
        assert type(model.preconditioner).__name__ == 'EDMPreconditioner'
        assert sampling['sampler'] == 'heun'
    else:
        assert type(model.preconditioner).__name__ == \
            'ConsistencyPreconditioner'
    if name in OFFICIAL_TWO_STEP:
        assert (sampling['ts'], sampling['steps']) == OFFICIAL_TWO_STEP[name]


def test_mmagic_names_exist_and_sample_as_named():
    folder = osp.join(REPO, 'configs', 'consistency_models')
    for name in MMAGIC_NAMES:
        cfg = Config.fromfile(osp.join(folder, name))
        sampler = cfg.model.sampling_cfg.sampler
        assert sampler == ('onestep' if 'onestep' in name else 'multistep')


def test_metafile_lists_every_zoo_config_with_weights():
    with open(osp.join(REPO, 'configs', 'consistency_models',
                       'metafile.yml')) as f:
        models = yaml.safe_load(f)['Models']
    listed = {osp.join(REPO, m['Config']) for m in models}
    zoo = {c for c in CONFIGS if '/tiny/' not in c}
    assert listed == zoo
    urls = {m['Weights'] for m in models}
    assert len(urls) == 12
    assert all(u.startswith('https://openaipublic.blob.core.windows.net/'
                            'consistency/') for u in urls)
