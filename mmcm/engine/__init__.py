from .hooks import (ConsistencyAveragesHook, ResumeStateHook,
                    capture_random_state, restore_random_state)

__all__ = [
    'ConsistencyAveragesHook', 'ResumeStateHook', 'capture_random_state',
    'restore_random_state'
]
