"""The ``mmcm`` logger for tools run outside an mmengine runner."""
from mmengine.logging import MMLogger


def get_logger(log_level: str = 'INFO') -> MMLogger:
    """The current mmengine logger inside a runner, else an ``mmcm`` one."""
    if MMLogger.check_instance_created('mmcm'):
        return MMLogger.get_instance('mmcm')
    return MMLogger.get_instance('mmcm', log_level=log_level)
