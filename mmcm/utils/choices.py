"""Checked options of the configurable classes."""
from typing import Sequence


def checked_choice(name: str, value, choices: Sequence):
    """``value`` if it is one of ``choices``, else a ``ValueError`` naming
    the option and its choices."""
    if value not in choices:
        raise ValueError(f'{name} must be one of {tuple(choices)}, got '
                         f'{value!r}')
    return value
