"""User-facing API: build models, load weights, sample."""
from .checkpoint import (CheckpointError, extract_unet_state_dict,
                         load_checkpoint_file)
from .inference import init_model, load_config, load_weights
from .sampling import generate_samples, resolve_labels

__all__ = [
    'CheckpointError', 'extract_unet_state_dict', 'load_checkpoint_file',
    'init_model', 'load_config', 'load_weights', 'generate_samples',
    'resolve_labels'
]
