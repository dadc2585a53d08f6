"""Safe loading of official ``.pt`` and mmengine checkpoints into networks.

Every failure is raised as :class:`CheckpointError` with a one-line message
that says what is wrong and what to do.
"""
import os
import os.path as osp
from typing import Callable, Dict, Optional
from urllib.parse import urlparse

import numpy as np
import torch

from .errors import CheckpointError
from .paths import checkpoint_cache_dir
from .safe_pickle import load_network_pickle, record_state_dict

UNET_PREFIXES = ('unet.', 'module.unet.')
EMA_PREFIX = 'ema.networks.'


def is_url(path: str) -> bool:
    return urlparse(str(path)).scheme in ('http', 'https')


def download_checkpoint(url: str, cache_dir: Optional[str] = None) -> str:
    """Download ``url`` once into ``cache_dir`` and return the local path."""
    cache_dir = cache_dir or checkpoint_cache_dir()
    os.makedirs(cache_dir, exist_ok=True)
    path = osp.join(cache_dir, osp.basename(urlparse(url).path) or 'ckpt.pt')
    if not osp.isfile(path):
        try:
            torch.hub.download_url_to_file(url, path, progress=True)
        except Exception as err:  # network errors have many types
            raise CheckpointError(
                f'could not download {url}: {err}; download it by hand and '
                'pass the local path') from None
    return path


def mmengine_safe_globals() -> list:
    """numpy arrays and scalars, which mmengine writes into checkpoints'
    meta, allowed on top of the tensors and containers that ``weights_only``
    loading accepts (see ``mmcm.engine.ResumeStateHook``)."""
    dtypes = [type(np.dtype(name)) for name in
              ('float64', 'float32', 'float16', 'int64', 'int32', 'uint32',
               'uint8', 'bool')]
    return [np.ndarray, np.dtype, np.core.multiarray.scalar,
            np.core.multiarray._reconstruct, *dtypes]


def load_checkpoint_file(path: str, cache_dir: Optional[str] = None) -> Dict:
    """``torch.load(path, weights_only=True)`` on CPU with clear errors."""
    if is_url(path):
        path = download_checkpoint(path, cache_dir)
    if not osp.exists(path):
        raise CheckpointError(f'checkpoint not found: {path}')
    if not osp.isfile(path):
        raise CheckpointError(f'checkpoint path is not a file: {path}')
    if path.endswith('.pkl'):
        return load_network_snapshot(path)
    try:
        with torch.serialization.safe_globals(mmengine_safe_globals()):
            checkpoint = torch.load(path, map_location='cpu',
                                    weights_only=True)
    except Exception as err:  # torch.load fails in many ways on bad files
        raise CheckpointError(describe_load_failure(path, err)) from None
    if not isinstance(checkpoint, dict):
        raise CheckpointError(f'{path} holds a {type(checkpoint).__name__}, '
                              'not a state dict or an mmengine checkpoint')
    return checkpoint


def load_network_snapshot(path: str, key: str = 'ema') -> Dict:
    """An EDM2 / ECT ``.pkl`` snapshot's network ``key`` as ``{'state_dict':
    ...}``, read without running pickled code (:mod:`.safe_pickle`)."""
    return dict(state_dict=record_state_dict(load_network_pickle(path, key)))


def describe_load_failure(path: str, err: Exception) -> str:
    """One line saying why ``torch.load`` could not read ``path``."""
    first_line = (str(err).strip().splitlines() or [type(err).__name__])[0]
    if 'Weights only load failed' in str(err):
        return (f'{path} holds objects other than tensors and plain '
                'containers, which safe loading (weights_only=True) refuses')
    if _looks_like_zip(path):
        return f'{path} is truncated or corrupted ({first_line})'
    return f'{path} is not a PyTorch checkpoint ({first_line})'


def _looks_like_zip(path: str) -> bool:
    with open(path, 'rb') as f:
        return f.read(4) == b'PK\x03\x04'


def extract_unet_state_dict(checkpoint: Dict,
                            weights: str = 'ema') -> Dict[str, torch.Tensor]:
    """The UNet weights of an official state dict or an mmengine checkpoint.

    Official files are plain ``cm/unet.py`` state dicts. mmengine checkpoints
    of mmcm keep the model under ``state_dict``: the online UNet under
    ``unet.`` and the evaluation EMAs under ``ema.networks.{i}.``. With
    ``weights='ema'`` the last (slowest) EMA is taken when present.
    """
    state = checkpoint.get('state_dict', checkpoint)
    if not isinstance(state, dict):
        raise CheckpointError('the checkpoint\'s "state_dict" is not a dict')
    for prefix in _candidate_prefixes(state, weights):
        if any(k.startswith(prefix) for k in state):
            return {k[len(prefix):]: v for k, v in state.items()
                    if k.startswith(prefix)}
    tensors = {k: v for k, v in state.items() if torch.is_tensor(v)}
    if not tensors:
        raise CheckpointError('the checkpoint holds no tensors')
    return tensors


def _candidate_prefixes(state: Dict, weights: str) -> list:
    if weights not in ('ema', 'online'):
        raise ValueError(f'weights must be "ema" or "online", got {weights!r}')
    ema_ids = sorted({int(k.split('.')[2]) for k in state
                      if k.startswith(EMA_PREFIX)})
    ema = [f'{EMA_PREFIX}{ema_ids[-1]}.'] if ema_ids else []
    return (ema if weights == 'ema' else []) + list(UNET_PREFIXES)


def mismatch_report(model: torch.nn.Module,
                    state: Dict[str, torch.Tensor]) -> Optional[str]:
    """Describe missing, unexpected and reshaped keys, or ``None`` if fit."""
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    reshaped = sorted(k for k in set(expected) & set(state)
                      if tuple(expected[k].shape) != tuple(state[k].shape))
    if not (missing or unexpected or reshaped):
        return None
    parts = []
    for label, keys in (('missing', missing), ('unexpected', unexpected),
                        ('shape mismatch', reshaped)):
        if keys:
            shown = ', '.join(keys[:5]) + (' ...' if len(keys) > 5 else '')
            parts.append(f'{len(keys)} {label} key(s): {shown}')
    return '; '.join(parts)


def network_state_dict(network: torch.nn.Module, checkpoint: Dict
                       ) -> Dict[str, torch.Tensor]:
    """The weights in ``checkpoint`` for ``network``: its ``state_dict``
    as it is when its keys are the network's own (a converted EDM2
    network's begin with ``unet.`` too), else
    :func:`extract_unet_state_dict`'s (EMA first)."""
    state = checkpoint.get('state_dict', checkpoint)
    if not isinstance(state, dict):
        return extract_unet_state_dict(checkpoint)
    expected = set(network.state_dict())
    if set(state) == expected:
        return state
    head = {k for k in set(state) ^ expected if k.startswith('logvar_')}
    if head and set(state) ^ expected == head:
        has = 'has' if head <= set(state) else 'lacks'
        raise CheckpointError(
            f'the checkpoint {has} the log-variance head ({sorted(head)[0]} '
            f'...) that the network {"lacks" if has == "has" else "has"}: '
            'set the network\'s log_variance (EDM2\'s networks have the '
            'head, ECT\'s do not)')
    return extract_unet_state_dict(checkpoint)


def load_unet_into(unet: torch.nn.Module, checkpoint: str,
                   fitting_hint: Optional[Callable[[dict], str]] = None
                   ) -> None:
    """Strictly load a checkpoint's UNet weights (EMA first) into ``unet``.

    ``fitting_hint(state)`` may add to the error what would fit instead
    (``mmcm.apis`` names the bundled configs that do).
    """
    state = network_state_dict(unet, load_checkpoint_file(checkpoint))
    report = mismatch_report(unet, state)
    if report:
        hint = fitting_hint(state) if fitting_hint is not None else ''
        raise CheckpointError(f'{checkpoint} does not fit this config '
                              f'({report}){hint}')
    expected = unet.state_dict()
    unet.load_state_dict(
        {k: v.to(expected[k].dtype) for k, v in state.items()}, strict=True)
