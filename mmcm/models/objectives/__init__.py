"""Training objectives, one interface: ``objective(batch, networks,
parameterisation, step) -> (per-sample loss, logs)``."""
from .base import (Objective, TrainingNetworks, TrainingStep, draw,
                   lognormal_sigmas)
from .consistency import (ConsistencyObjective, IndexSampler,
                          consistency_sigma_pair, heun_teacher_step,
                          lognormal_index_probabilities)
from .continuous import (ContinuousConsistencyObjective,
                         karras_time_derivative)
from .ect import ECTObjective, ect_lower_time
from .edm import EDMObjective
from .joint import JointObjective
from .meanflow import (MeanFlowObjective, guided_velocity,
                       logit_normal_times, meanflow_time_pair)
from .scm import (SCMObjective, TrigFlowObjective, consistency_tangent,
                  normalize_tangent)
from .tcm import (TCMObjective, boundary_mask, split_means_weights,
                  truncated_log_times)

__all__ = [
    'Objective', 'TrainingNetworks', 'TrainingStep', 'draw',
    'lognormal_sigmas', 'ConsistencyObjective', 'consistency_sigma_pair',
    'heun_teacher_step', 'IndexSampler', 'lognormal_index_probabilities',
    'ECTObjective', 'ect_lower_time', 'EDMObjective', 'JointObjective',
    'SCMObjective', 'TrigFlowObjective', 'consistency_tangent',
    'normalize_tangent', 'ContinuousConsistencyObjective',
    'karras_time_derivative', 'MeanFlowObjective', 'logit_normal_times',
    'meanflow_time_pair', 'guided_velocity', 'TCMObjective', 'boundary_mask',
    'split_means_weights', 'truncated_log_times'
]
