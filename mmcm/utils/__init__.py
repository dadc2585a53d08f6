from .random_weights import random_unet_state_dict
from .setup_env import register_all_modules

__all__ = ['random_unet_state_dict', 'register_all_modules']
