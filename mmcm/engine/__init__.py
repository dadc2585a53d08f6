from .hooks import (ConsistencyAveragesHook, RandomStateHook,
                    capture_random_state, restore_random_state)

__all__ = [
    'ConsistencyAveragesHook', 'RandomStateHook', 'capture_random_state',
    'restore_random_state'
]
