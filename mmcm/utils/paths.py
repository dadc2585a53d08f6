"""Where mmcm keeps files it computes or is given."""
import os
import os.path as osp


def mmcm_home() -> str:
    """``$MMCM_HOME``, by default ``~/.cache/mmcm``."""
    return os.environ.get('MMCM_HOME',
                          osp.join(osp.expanduser('~'), '.cache', 'mmcm'))
