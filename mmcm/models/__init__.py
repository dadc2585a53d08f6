from .consistency_model import (DEFAULT_SAMPLING_CFG, ConsistencyModel,
                                check_labels)
from .data_preprocessors import ConsistencyDataPreprocessor
from .preconditioning import (ConsistencyPreconditioner, EDMPreconditioner,
                              TrigFlowPreconditioner, trigflow_time,
                              append_dims, consistency_scalings, edm_scalings,
                              noise_conditioning)
from .losses import (L1Distance, L2Distance, LPIPSDistance, build_distance,
                     get_weighting)
from .objectives import ConsistencyObjective, EDMObjective
from .trainers import (AveragedTrainer, ConsistencyTrainer, EDMTrainer,
                       JointConsistencyTrainer)
from .trigflow_trainer import LogVarianceHead, TrigFlowTrainer
from .unets import ADMUNet, MLPMixer, default_channel_mult

__all__ = [
    'ConsistencyModel', 'DEFAULT_SAMPLING_CFG', 'check_labels',
    'ConsistencyDataPreprocessor', 'ConsistencyPreconditioner',
    'EDMPreconditioner', 'append_dims', 'consistency_scalings',
    'edm_scalings', 'noise_conditioning', 'ADMUNet', 'MLPMixer',
    'default_channel_mult',
    'ConsistencyObjective', 'EDMObjective', 'AveragedTrainer',
    'ConsistencyTrainer', 'EDMTrainer', 'JointConsistencyTrainer',
    'L1Distance', 'L2Distance',
    'LPIPSDistance', 'build_distance', 'get_weighting', 'LogVarianceHead',
    'TrigFlowTrainer', 'TrigFlowPreconditioner', 'trigflow_time'
]
