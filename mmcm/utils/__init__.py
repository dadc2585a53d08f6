"""The bottom layer: checkpoint I/O, tensor helpers, the batch loop, paths,
logging and small command-line helpers. Nothing here imports the rest of
mmcm."""
from .batching import map_batches
from .checkpoint import (CheckpointError, extract_unet_state_dict,
                         load_checkpoint_file, load_unet_into,
                         mismatch_report)
from .distributed import close_distributed, setup_cpu_distributed
from .logger import get_logger
from .paths import checkpoint_cache_dir, fid_reference_cache_dir, mmcm_home

__all__ = [
    'CheckpointError', 'checkpoint_cache_dir', 'close_distributed',
    'extract_unet_state_dict', 'fid_reference_cache_dir', 'get_logger',
    'load_checkpoint_file', 'load_unet_into', 'map_batches',
    'mismatch_report', 'mmcm_home', 'setup_cpu_distributed'
]
