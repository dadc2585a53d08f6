"""The class labels of generated samples: one policy for every path.

Given labels are checked and a single label repeats; a class-conditional
model asked for samples without labels draws them uniformly, from a
generator seeded ``seed`` (so sample ``i``'s label depends on the seed and
``i`` only) or, without a seed, from torch's global RNG. Balanced labels
(sample ``i`` of class ``i % num_classes``) are the alternative to drawn
ones where the class mix must not vary.
"""
from typing import Optional

import torch


def draw_class_labels(num_samples: int, num_classes: int,
                      seed: int) -> torch.Tensor:
    """Labels for all samples from one seeded generator (batch-independent)."""
    rng = torch.Generator().manual_seed(seed)
    return torch.randint(0, num_classes, (num_samples, ), generator=rng)


def balanced_class_labels(num_samples: int, num_classes: int,
                          device=None) -> torch.Tensor:
    """int64 labels ``i % num_classes`` of samples ``i = 0 .. N - 1``: every
    class equally often (to within one), in a fixed cycle."""
    return torch.arange(num_samples, device=device) % num_classes


def check_labels(labels: torch.Tensor, num_classes: int,
                 num: Optional[int] = None) -> None:
    """Raise a clear error for labels out of range or of the wrong count."""
    if num is not None and labels.numel() != num:
        raise ValueError(f'got {labels.numel()} class labels for {num} '
                         'samples; give one label or one per sample')
    if labels.numel() and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f'class labels must lie in [0, {num_classes - 1}], '
                         f'got {labels.tolist()}')


def expand_labels(labels, num: int, num_classes: int) -> torch.Tensor:
    """``num`` int64 labels from one label (repeated) or one per sample."""
    labels = torch.as_tensor(labels, dtype=torch.long).reshape(-1)
    if labels.numel() == 1:
        labels = labels.expand(num).clone()
    check_labels(labels, num_classes, num)
    return labels


def resolve_labels(num_classes: Optional[int], num: int, labels=None,
                   seed: Optional[int] = None) -> Optional[torch.Tensor]:
    """One label per sample (``None`` for an unconditional model).

    Args:
        num_classes: Classes of the model, ``None`` if unconditional.
        num: Number of samples.
        labels: One label, one per sample, or ``None`` / empty for drawn
            ones.
        seed: Seed of drawn labels; ``None`` draws from torch's global RNG.
    """
    given = labels is not None and torch.as_tensor(labels).numel() > 0
    if num_classes is None:
        if given:
            raise ValueError('this model is unconditional; do not pass '
                             'class labels')
        return None
    if given:
        return expand_labels(labels, num, num_classes)
    if seed is None:
        return torch.randint(0, num_classes, (num, ))
    return draw_class_labels(num, num_classes, seed)
