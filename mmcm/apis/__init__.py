"""User-facing API: build models, load weights, sample, edit, evaluate."""
from .checkpoint import (CheckpointError, extract_unet_state_dict,
                         load_checkpoint_file)
from .edit_inputs import NAMED_MASKS, load_image, load_mask
from .editing import (DEFAULT_EDIT_STEPS, DEFAULT_EDIT_TS, EditResult,
                      InterpolationResult, edit_images, interpolate)
from .evaluation import evaluate_model, ternary_search
from .inference import init_model, load_config, load_weights
from .sampling import generate_samples, resolve_labels

__all__ = [
    'CheckpointError', 'extract_unet_state_dict', 'load_checkpoint_file',
    'init_model', 'load_config', 'load_weights', 'generate_samples',
    'resolve_labels', 'evaluate_model', 'ternary_search', 'edit_images',
    'interpolate', 'EditResult', 'InterpolationResult', 'load_image',
    'load_mask', 'NAMED_MASKS', 'DEFAULT_EDIT_STEPS', 'DEFAULT_EDIT_TS'
]
