"""User-facing API: build models, load weights, sample, evaluate."""
from .checkpoint import (CheckpointError, extract_unet_state_dict,
                         load_checkpoint_file)
from .evaluation import evaluate_model, ternary_search
from .inference import init_model, load_config, load_weights
from .sampling import generate_samples, resolve_labels

__all__ = [
    'CheckpointError', 'extract_unet_state_dict', 'load_checkpoint_file',
    'init_model', 'load_config', 'load_weights', 'generate_samples',
    'resolve_labels', 'evaluate_model', 'ternary_search'
]
