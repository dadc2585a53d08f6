from .consistency import (ConsistencyObjective, consistency_sigma_pair,
                          heun_teacher_step)
from .edm import EDMObjective

__all__ = [
    'ConsistencyObjective', 'consistency_sigma_pair', 'heun_teacher_step',
    'EDMObjective'
]
