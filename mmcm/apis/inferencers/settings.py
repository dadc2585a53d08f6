"""The ``consistency_models`` settings of the model zoo, mmagic style.

mmagic names a pretrained model by ``model_name`` plus ``model_setting``, an
index into the ``Models`` of that name's ``metafile.yml``. These helpers
resolve both (or a setting's ``Name``/``Alias``) to a config and weights
from mmcm's own metafile, without importing mmagic.
"""
import os.path as osp
import warnings
from typing import Dict, List, Optional, Tuple

from mmcm.apis.model_zoo import load_metafile, weights_url

MODEL_NAME = 'consistency_models'
TASK = 'Consistency Models'
IMAGE_SUFFIXES = ('.png', '.jpg', '.jpeg', '.bmp', '.webp')


def zoo_settings() -> List[Dict]:
    """The metafile entries, in order: ``model_setting`` indexes this list."""
    return load_metafile()


def setting_index(config_name: str) -> int:
    """The ``model_setting`` whose ``Name`` or ``Alias`` is ``config_name``."""
    settings = zoo_settings()
    for index, setting in enumerate(settings):
        if config_name in (setting['Name'], setting.get('Alias')):
            return index
    names = ', '.join(s['Name'] for s in settings)
    raise ValueError(f'unknown config name {config_name!r}; known: {names}')


def zoo_setting(model_setting: int) -> Dict:
    """The metafile entry number ``model_setting``, with a clear range error.
    """
    settings = zoo_settings()
    if not 0 <= model_setting < len(settings):
        raise ValueError(f'model setting {model_setting} is out of range for '
                         f'{MODEL_NAME} (0..{len(settings) - 1}); see '
                         '--print-supported-models')
    return settings[model_setting]


def resolve_model(model_setting: Optional[int] = None,
                  config_name: Optional[str] = None,
                  model_config: Optional[str] = None,
                  model_ckpt: Optional[str] = None
                  ) -> Tuple[str, Optional[str]]:
    """The ``(config, checkpoint)`` to run, by mmagic's precedence rules.

    The zoo setting gives both: ``config_name`` (a metafile ``Name`` or
    ``Alias``) picks it by name and wins over the index ``model_setting``
    (``0`` by default). Unlike mmagic 1.2.0, the weights follow a setting
    picked by name too. An explicit ``model_config`` replaces the config
    and takes the weights the metafile lists for that file (none for a
    config outside the zoo); an explicit ``model_ckpt`` replaces the weights.
    """
    if config_name:
        model_setting = setting_index(config_name)
    if model_config is None:
        setting = zoo_setting(model_setting or 0)
        config, ckpt = setting['Config'], setting.get('Weights')
    else:
        if model_setting is not None:
            warnings.warn(f'the config of {MODEL_NAME} setting '
                          f'{model_setting} is overridden by {model_config}',
                          stacklevel=2)
        if not osp.isfile(model_config):
            raise FileNotFoundError(f'config file not found: {model_config}')
        config, ckpt = model_config, weights_url(model_config)
    return config, model_ckpt or ckpt


def describe_settings() -> List[str]:
    """One line per setting: ``index  Name  (Alias)  config``."""
    lines = []
    for index, setting in enumerate(zoo_settings()):
        alias = f' ({setting["Alias"]})' if setting.get('Alias') else ''
        config = osp.relpath(setting['Config'],
                             osp.dirname(osp.dirname(setting['Config'])))
        lines.append(f'{index:3d}  {setting["Name"]}{alias}  {config}')
    return lines


def result_path(result_out_dir: str) -> str:
    """The grid file for ``result_out_dir``: an image path, or a folder."""
    if osp.isdir(result_out_dir) or not result_out_dir.lower().endswith(
            IMAGE_SUFFIXES):
        return osp.join(result_out_dir, f'{MODEL_NAME}.png')
    return result_out_dir
