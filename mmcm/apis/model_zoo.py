"""The model zoo: configs and weights listed in ``metafile.yml``."""
import os.path as osp
from functools import lru_cache
from typing import Dict, List, Optional
from urllib.parse import urlparse

import torch
import yaml
from mmengine import Config

from mmcm.registry import MODELS
from .setup_env import register_all_modules

CONFIG_FOLDER = 'consistency_models'


def configs_root() -> str:
    """The ``configs`` folder: beside the package, or inside it (``.mim``).
    """
    package = osp.dirname(osp.dirname(osp.abspath(__file__)))
    for candidate in (osp.join(package, '.mim', 'configs'),
                      osp.join(osp.dirname(package), 'configs')):
        if osp.isdir(candidate):
            return candidate
    raise FileNotFoundError('mmcm configs folder not found beside the '
                            f'package at {package}')


@lru_cache(maxsize=1)
def load_metafile() -> List[Dict]:
    """Entries of ``configs/consistency_models/metafile.yml``."""
    path = osp.join(configs_root(), CONFIG_FOLDER, 'metafile.yml')
    with open(path, encoding='utf-8') as f:
        models = yaml.safe_load(f)['Models']
    root = osp.dirname(configs_root())
    for model in models:
        model['Config'] = osp.join(root, model['Config'])
        weights = model.get('Weights')
        if weights and not urlparse(weights).scheme:
            model['Weights'] = osp.join(root, weights)  # bundled with mmcm
    return models


def _unet_signature(unet_cfg: dict) -> Dict[str, tuple]:
    with torch.device('meta'):
        unet = MODELS.build(unet_cfg)
    return {k: tuple(v.shape) for k, v in unet.state_dict().items()}


def fitting_configs(state: Dict[str, torch.Tensor]) -> List[str]:
    """Zoo configs whose UNet has exactly the keys and shapes of ``state``."""
    register_all_modules(init_default_scope=False)
    wanted = {k: tuple(v.shape) for k, v in state.items()}
    fits, seen = [], {}
    for model in load_metafile():
        unet_cfg = Config.fromfile(model['Config']).model.network
        key = repr(unet_cfg.to_dict())
        if key not in seen:
            seen[key] = _unet_signature(unet_cfg) == wanted
        if seen[key]:
            fits.append(osp.relpath(model['Config']))
    return fits


def weights_url(config_path: str) -> Optional[str]:
    """The weights URL the metafile gives for ``config_path``, if any."""
    target = osp.abspath(config_path)
    for model in load_metafile():
        if osp.abspath(model['Config']) == target:
            return model.get('Weights')
    return None
