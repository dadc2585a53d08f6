from .hooks import (ConsistencyAveragesHook, ResumeStateHook,
                    capture_random_state, restore_random_state)
from .loops import GenerationTestLoop, GenerationValLoop

__all__ = [
    'ConsistencyAveragesHook', 'GenerationTestLoop', 'GenerationValLoop',
    'ResumeStateHook', 'capture_random_state',
    'restore_random_state'
]
