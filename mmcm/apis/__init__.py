"""User-facing API: build models, load weights, sample, edit, evaluate.

It may import every other part of mmcm but :mod:`mmcm.analysis` (the
code behind the tools, the one layer above it), and
:func:`register_all_modules` is the one place that imports them all.
"""
from mmcm.utils.checkpoint import (CheckpointError, extract_unet_state_dict,
                                   load_checkpoint_file)
from .edit_inputs import NAMED_MASKS, load_image, load_mask
from .editing import (DEFAULT_EDIT_STEPS, DEFAULT_EDIT_TS, EditResult,
                      InterpolationResult, edit_images, interpolate)
from .evaluation import evaluate_model, ternary_search
from .inference import init_model, load_config, load_weights
from .random_weights import random_unet_state_dict
from .sampling import generate_samples
from .setup_env import register_all_modules

__all__ = [
    'CheckpointError', 'extract_unet_state_dict', 'load_checkpoint_file',
    'init_model', 'load_config', 'load_weights', 'generate_samples',
    'evaluate_model', 'ternary_search', 'edit_images', 'interpolate',
    'EditResult', 'InterpolationResult', 'load_image', 'load_mask',
    'NAMED_MASKS', 'DEFAULT_EDIT_STEPS', 'DEFAULT_EDIT_TS',
    'random_unet_state_dict', 'register_all_modules'
]
