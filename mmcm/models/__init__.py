"""Networks, parameterisations, objectives, curricula, samplers and the
consistency model that composes them."""
from .consistency_model import DEFAULT_SAMPLING_CFG, ConsistencyModel
from .curricula import (AdaptiveTargetEMA, ConsistencyCurriculum,
                        ExponentialScales, FixedScales, FixedTargetEMA,
                        ProgressiveScales, StagedScales)
from .data_preprocessors import ConsistencyDataPreprocessor
from .labels import check_labels, expand_labels, resolve_labels
from .legacy import upgrade_config
from .log_variance import LogVarianceHead
from .losses import (L1Distance, L2Distance, LPIPSDistance, build_distance,
                     get_weighting)
from .objectives import (ConsistencyObjective, ContinuousConsistencyObjective,
                         ECTObjective, EDMObjective, JointObjective,
                         MeanFlowObjective,
                         Objective, SCMObjective, TrainingNetworks,
                         TrainingStep, TrigFlowObjective)
from .parameterisations import (ConsistencyParameterisation,
                                EDMParameterisation, MeanFlowParameterisation,
                                Parameterisation,
                                TrigFlowParameterisation,
                                consistency_scalings, edm_scalings,
                                noise_conditioning)
from .training import OFFICIAL_EMA_DECAYS, TrainingBlock
from .guidance import GuidedNetwork
from .posthoc_ema import PowerEMANetworks
from .unets import ADMUNet, EDM2UNet, MLPMixer, default_channel_mult

__all__ = [
    'ConsistencyModel', 'DEFAULT_SAMPLING_CFG', 'check_labels',
    'expand_labels', 'resolve_labels', 'ConsistencyDataPreprocessor',
    'Parameterisation', 'ConsistencyParameterisation', 'EDMParameterisation',
    'TrigFlowParameterisation', 'MeanFlowParameterisation',
    'MeanFlowObjective', 'consistency_scalings', 'edm_scalings',
    'noise_conditioning', 'ADMUNet', 'EDM2UNet', 'GuidedNetwork',
    'PowerEMANetworks', 'MLPMixer',
    'default_channel_mult',
    'Objective', 'TrainingNetworks', 'TrainingStep', 'ConsistencyObjective',
    'ContinuousConsistencyObjective', 'ECTObjective', 'EDMObjective',
    'JointObjective', 'SCMObjective', 'TrigFlowObjective', 'TrainingBlock',
    'OFFICIAL_EMA_DECAYS', 'upgrade_config', 'L1Distance', 'L2Distance',
    'LPIPSDistance', 'build_distance', 'get_weighting', 'LogVarianceHead',
    'FixedScales', 'ProgressiveScales', 'ExponentialScales',
    'FixedTargetEMA', 'AdaptiveTargetEMA', 'ConsistencyCurriculum',
    'StagedScales'
]
