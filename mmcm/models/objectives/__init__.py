from .consistency import (ConsistencyObjective, IndexSampler,
                          consistency_sigma_pair, heun_teacher_step,
                          lognormal_index_probabilities)
from .continuous import (ContinuousConsistencyObjective,
                         karras_time_derivative)
from .ect import ECTObjective, ect_lower_time, lognormal_times
from .edm import EDMObjective
from .scm import (SCMObjective, TrigFlowObjective, consistency_tangent,
                  normalize_tangent)

__all__ = [
    'ConsistencyObjective', 'consistency_sigma_pair', 'heun_teacher_step',
    'IndexSampler', 'lognormal_index_probabilities',
    'ECTObjective', 'ect_lower_time', 'lognormal_times',
    'EDMObjective', 'SCMObjective', 'TrigFlowObjective',
    'consistency_tangent', 'normalize_tangent',
    'ContinuousConsistencyObjective', 'karras_time_derivative'
]
