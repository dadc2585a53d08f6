"""Score a model in-process, and search two-step schedules by FID."""
from typing import Callable, Dict, Optional, Sequence

from mmcm.registry import DATASETS
from mmcm.utils.batching import map_batches


def evaluate_model(model, metrics: Sequence, num_samples: int,
                   batch_size: int = 64, label_seed: int = 0,
                   balanced_labels: bool = False, progress: bool = True,
                   **sampling) -> Dict[str, float]:
    """Generate ``num_samples`` images and score them with ``metrics``.

    The images are those of ``tools/test.py`` for the same sampling options
    (one :class:`~mmcm.datasets.GenerationDataset` index each), made in one
    process without a runner.

    Args:
        model: A :class:`~mmcm.models.ConsistencyModel` (or trainer).
        metrics: Built metrics (e.g. ``FrechetInceptionDistance``); their
            results are consumed.
        num_samples: Images to generate.
        batch_size: Images generated at once.
        label_seed: Seed of the class labels of conditional models.
        balanced_labels: Label sample ``i`` with class ``i % classes``.
        progress: Show a progress bar.
        **sampling: Sampling options (``sampler``, ``steps``, ``ts``, ...).
    """
    dataset = DATASETS.build(dict(type='GenerationDataset',
                                  num_samples=num_samples,
                                  num_classes=model.num_classes,
                                  label_seed=label_seed,
                                  balanced_labels=balanced_labels))

    def score_batch(indices: range) -> None:
        items = [dataset[i]['inputs'] for i in indices]
        inputs = {key: [item[key] for item in items] for key in items[0]}
        outputs = model(dict(inputs, **sampling), mode='predict')
        samples = [output.to_dict() for output in outputs]
        for metric in metrics:
            metric.process({}, samples)

    map_batches(score_batch, num_samples, batch_size, progress)
    scores = {}
    for metric in metrics:
        scores.update(metric.compute_metrics(metric.results))
        metric.results.clear()
    return scores


def ternary_search(score: Callable[[int], float], low: int, high: int,
                   log: Optional[Callable[[str], None]] = None) -> int:
    """The integer in ``[low, high]`` minimising a unimodal ``score``.

    As the official ``scripts/ternary_search.py`` (which searches the
    middle index of a two-step ``ts``): shrink the interval by thirds while
    it holds more than three points, then compare what remains. Scores are
    memoised, so each index is evaluated at most once.
    """
    if low > high:
        raise ValueError(f'empty search interval [{low}, {high}]')
    cache: Dict[int, float] = {}

    def cached(index: int) -> float:
        if index not in cache:
            cache[index] = float(score(index))
            if log is not None:
                log(f'score at {index}: {cache[index]:.4f}')
        return cache[index]

    while high - low >= 3:
        third = (high - low) // 3
        left, right = low + third, high - third
        if cached(left) < cached(right):
            high = right
        else:
            low = left
    return min(range(low, high + 1), key=cached)
