"""Where mmcm keeps files it downloads or computes.

``$MMCM_HOME`` (default ``~/.cache/mmcm``) is the root of mmcm's own
caches, such as ``fid_reference/``. Downloaded checkpoints go to
``$MMCM_HOME/checkpoints`` when ``MMCM_HOME`` is set, else to torch hub's
``checkpoints`` folder, where other OpenMMLab tools look for them too.
"""
import os
import os.path as osp

import torch


def mmcm_home() -> str:
    """``$MMCM_HOME``, by default ``~/.cache/mmcm``."""
    return os.environ.get('MMCM_HOME',
                          osp.join(osp.expanduser('~'), '.cache', 'mmcm'))


def checkpoint_cache_dir() -> str:
    """Folder of downloaded checkpoints (see the module docstring)."""
    if 'MMCM_HOME' in os.environ:
        return osp.join(mmcm_home(), 'checkpoints')
    return osp.join(torch.hub.get_dir(), 'checkpoints')


def fid_reference_cache_dir() -> str:
    """Folder of computed FID reference statistics and features."""
    return osp.join(mmcm_home(), 'fid_reference')
