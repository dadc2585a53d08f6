"""Networks, parameterisations, objectives, samplers and trainers."""
from .consistency_model import DEFAULT_SAMPLING_CFG, ConsistencyModel
from .curricula import (AdaptiveTargetEMA, ConsistencyCurriculum,
                        ExponentialScales, FixedScales, FixedTargetEMA,
                        ProgressiveScales, StagedScales)
from .data_preprocessors import ConsistencyDataPreprocessor
from .labels import check_labels, expand_labels, resolve_labels
from .losses import (L1Distance, L2Distance, LPIPSDistance, build_distance,
                     get_weighting)
from .objectives import ConsistencyObjective, ECTObjective, EDMObjective
from .preconditioning import (ConsistencyPreconditioner, EDMPreconditioner,
                              TrigFlowPreconditioner, consistency_scalings,
                              edm_scalings, noise_conditioning)
from .trainers import (AveragedTrainer, ConsistencyTrainer, EDMTrainer,
                       JointConsistencyTrainer)
from .trigflow_trainer import LogVarianceHead, TrigFlowTrainer
from .unets import ADMUNet, MLPMixer, default_channel_mult

__all__ = [
    'ConsistencyModel', 'DEFAULT_SAMPLING_CFG', 'check_labels',
    'expand_labels', 'resolve_labels', 'ConsistencyDataPreprocessor',
    'ConsistencyPreconditioner', 'EDMPreconditioner',
    'TrigFlowPreconditioner', 'consistency_scalings', 'edm_scalings',
    'noise_conditioning', 'ADMUNet', 'MLPMixer', 'default_channel_mult',
    'ConsistencyObjective', 'EDMObjective', 'AveragedTrainer',
    'ConsistencyTrainer', 'EDMTrainer', 'JointConsistencyTrainer',
    'L1Distance', 'L2Distance', 'LPIPSDistance', 'build_distance',
    'get_weighting', 'LogVarianceHead', 'TrigFlowTrainer',
    'FixedScales', 'ProgressiveScales', 'ExponentialScales',
    'FixedTargetEMA', 'AdaptiveTargetEMA', 'ConsistencyCurriculum',
    'StagedScales', 'ECTObjective'
]
