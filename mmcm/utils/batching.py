"""The batch loop over a run of samples: every generation path uses it."""
from typing import Callable, List, TypeVar

from mmengine.utils import ProgressBar

T = TypeVar('T')


def map_batches(fn: Callable[[range], T], num_samples: int, batch_size: int,
                progress: bool = False) -> List[T]:
    """``fn`` of each batch of the sample indices ``0 .. num_samples - 1``.

    The indices are cut into consecutive ``range`` objects of
    ``batch_size`` (the last one shorter if need be); ``fn`` is called on
    each in order and its results are returned in a list. With
    ``progress``, a progress bar counts the samples done and ends its line
    when the run is complete.

    Args:
        fn: Called with the indices of one batch, e.g. ``range(64, 128)``.
        num_samples: Size of the run.
        batch_size: Indices per call.
        progress: Show a progress bar (on stdout).
    """
    if num_samples < 0 or batch_size < 1:
        raise ValueError(f'need num_samples >= 0 and batch_size >= 1, got '
                         f'{num_samples} and {batch_size}')
    bar = ProgressBar(num_samples) if progress else None
    results = []
    for start in range(0, num_samples, batch_size):
        indices = range(start, min(start + batch_size, num_samples))
        results.append(fn(indices))
        if bar is not None:
            bar.update(len(indices))
    if bar is not None:
        print()
    return results
