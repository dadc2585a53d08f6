"""Per-sample distances and loss weightings of the objectives."""
from .builder import build_distance, official_distance_config
from .distances import (DISTANCE_NAMES, L1Distance, L2Distance,
                        PseudoHuberDistance, resize_bilinear)
from .lpips_loss import LPIPSDistance, default_backbone_path
from .weightings import WEIGHTING_NAMES, get_weighting, snr

__all__ = [
    'DISTANCE_NAMES', 'L1Distance', 'L2Distance', 'PseudoHuberDistance',
    'build_distance', 'official_distance_config', 'resize_bilinear',
    'LPIPSDistance', 'default_backbone_path', 'WEIGHTING_NAMES',
    'get_weighting', 'snr'
]
