from .hooks import (ConsistencyAveragesHook, ResumeStateHook,
                    SkippedImagesHook, capture_random_state,
                    restore_random_state)
from .loops import GenerationTestLoop, GenerationValLoop
from .preemption import PREEMPTED_EXIT_CODE, Preempted, PreemptionHook

__all__ = [
    'ConsistencyAveragesHook', 'GenerationTestLoop', 'GenerationValLoop',
    'PREEMPTED_EXIT_CODE', 'Preempted', 'PreemptionHook',
    'ResumeStateHook', 'SkippedImagesHook', 'capture_random_state',
    'restore_random_state'
]
