from .distributed import setup_cpu_distributed
from .logger import get_logger
from .paths import mmcm_home
from .random_weights import random_unet_state_dict
from .setup_env import register_all_modules

__all__ = [
    'get_logger', 'mmcm_home', 'random_unet_state_dict',
    'register_all_modules', 'setup_cpu_distributed'
]
