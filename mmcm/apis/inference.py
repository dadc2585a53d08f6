"""Build a model from a config and load its weights."""
from typing import Optional, Union

import torch
from mmengine import Config

from mmcm.models.legacy import upgrade_config
from mmcm.registry import MODELS
from mmcm.utils.checkpoint import load_unet_into
from mmcm.utils.functional import DTYPES
from .model_zoo import fitting_configs
from .setup_env import use_mmcm_scope


def load_config(config: Union[str, Config],
                cfg_options: Optional[dict] = None) -> Config:
    """Read ``config`` (a path or a ``Config``) and apply ``cfg_options``."""
    if isinstance(config, str):
        config = Config.fromfile(config)
    elif not isinstance(config, Config):
        raise TypeError(f'config must be a path or a Config, got '
                        f'{type(config).__name__}')
    if cfg_options:
        config.merge_from_dict(cfg_options)
    return config


def init_model(config: Union[str, Config],
               checkpoint: Optional[str] = None,
               device: Union[str, torch.device] = 'cpu',
               dtype: Optional[str] = None,
               cfg_options: Optional[dict] = None):
    """Build a consistency model from ``config`` and load ``checkpoint``.

    Args:
        config: Config path or object whose ``model`` is a ConsistencyModel.
        checkpoint: An official ``.pt`` state dict or an mmengine checkpoint,
            as a path or an http(s) URL (downloaded once and cached).
        device: Device to put the model on.
        dtype: ``'fp32'``, ``'fp16'`` or ``'bf16'`` for the UNet torso;
            ``None`` keeps the config's ``use_fp16`` choice.
        cfg_options: Overrides merged into the config.

    Raises:
        CheckpointError: The checkpoint is missing, unreadable or does not
            fit the config (the message names the keys and a fitting config).
    """
    use_mmcm_scope()
    cfg = load_config(config, cfg_options)
    model = MODELS.build(sampling_model_cfg(cfg.model))
    model.cfg = cfg
    if checkpoint is not None:
        load_weights(model, checkpoint)
    if dtype is not None:
        if dtype not in DTYPES:
            raise ValueError(f'dtype must be one of {sorted(DTYPES)}, got '
                             f'{dtype!r}')
        model.unet.convert_torso(DTYPES[dtype])
    return model.to(device).eval()


def sampling_model_cfg(model_cfg) -> dict:
    """The config of a sampling model for ``model_cfg``: the model without
    its training block (configs of the earlier layout upgraded first),
    which loads a training checkpoint's EMA weights."""
    cfg = upgrade_config(dict(model_cfg))
    cfg.pop('training', None)
    return cfg


def load_weights(model, checkpoint: str) -> None:
    """Strictly load the UNet weights of ``checkpoint`` into ``model``;
    a mismatch names the bundled configs that would fit."""
    load_unet_into(model.unet, checkpoint, fitting_hint)


def fitting_hint(state: dict) -> str:
    """``'; configs that fit it: ...'`` for a checkpoint's UNet weights."""
    try:
        fits = fitting_configs(state)
    except (OSError, KeyError, ValueError):
        return ''
    if not fits:
        return '; no bundled config fits it'
    return '; configs that fit it: ' + ', '.join(fits[:4])
