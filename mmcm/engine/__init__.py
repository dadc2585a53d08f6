from .amp import (MixedPrecisionOptimWrapper, OfficialFP16OptimWrapper,
                  default_amp_dtype)
from .hooks import (ConsistencyAveragesHook, ResumeStateHook,
                    SkippedImagesHook, capture_random_state,
                    restore_random_state)
from .loops import GenerationTestLoop, GenerationValLoop
from .posthoc_ema import PostHocEMASnapshotHook
from .preemption import PREEMPTED_EXIT_CODE, Preempted, PreemptionHook
from .schedulers import InverseSqrtLR, inverse_sqrt_factor
from .sharding import NetworkShardedDataParallel, fsdp_strategy

__all__ = [
    'MixedPrecisionOptimWrapper', 'OfficialFP16OptimWrapper',
    'default_amp_dtype',
    'ConsistencyAveragesHook', 'GenerationTestLoop', 'GenerationValLoop',
    'NetworkShardedDataParallel', 'PREEMPTED_EXIT_CODE', 'Preempted',
    'PostHocEMASnapshotHook', 'PreemptionHook', 'fsdp_strategy',
    'InverseSqrtLR', 'inverse_sqrt_factor',
    'ResumeStateHook', 'SkippedImagesHook', 'capture_random_state',
    'restore_random_state'
]
