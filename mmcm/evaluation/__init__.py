"""Offline evaluation: the FID Inception, reference sets, FID, IS, PR, and
classifier-based metrics of small labelled data sets."""
from .base import InceptionMetric
from .classifier import SmallClassifier, classifier_for, train_classifier
from .fid import (FrechetInceptionDistance, fid_from_images,
                  fid_from_statistics, statistics_from_images)
from .inception import InceptionFeatures, default_weights_path
from .inception_score import (InceptionScore, class_probabilities,
                              find_softmax_weights, inception_score,
                              load_softmax_weights)
from .precision_recall import (PrecisionRecall, knn_radii, manifold_coverage,
                               precision_recall)
from .reference import ReferenceSet, iter_npz_images
from .small_data import SmallDataMetrics
from .statistics import (FeatureStatistics, frechet_distance,
                         load_statistics, save_statistics)

__all__ = [
    'FeatureStatistics', 'FrechetInceptionDistance', 'InceptionFeatures',
    'InceptionMetric', 'InceptionScore', 'PrecisionRecall', 'ReferenceSet',
    'SmallClassifier', 'SmallDataMetrics', 'classifier_for',
    'train_classifier',
    'class_probabilities', 'default_weights_path',
    'fid_from_images', 'fid_from_statistics', 'find_softmax_weights',
    'frechet_distance', 'inception_score', 'iter_npz_images', 'knn_radii',
    'load_softmax_weights', 'load_statistics', 'manifold_coverage',
    'precision_recall', 'save_statistics',
    'statistics_from_images'
]
