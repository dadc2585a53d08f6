"""Offline evaluation: FID statistics, the FID Inception, the FID metric."""
from .fid import (FrechetInceptionDistance, fid_from_images,
                  fid_from_statistics, statistics_from_images)
from .inception import InceptionFeatures, default_weights_path
from .statistics import (FeatureStatistics, frechet_distance,
                         load_statistics, save_statistics)

__all__ = [
    'FeatureStatistics', 'FrechetInceptionDistance', 'InceptionFeatures',
    'default_weights_path', 'fid_from_images', 'fid_from_statistics',
    'frechet_distance', 'load_statistics', 'save_statistics',
    'statistics_from_images'
]
