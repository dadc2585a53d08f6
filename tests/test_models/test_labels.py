"""One label policy for every generation path."""
import pytest
import torch

from mmcm.models.labels import (balanced_class_labels, draw_class_labels,
                                resolve_labels)


def test_given_labels_are_checked_and_one_label_repeats():
    assert resolve_labels(10, 3, [7]).tolist() == [7, 7, 7]
    assert resolve_labels(10, 2, torch.tensor([1, 2])).tolist() == [1, 2]
    with pytest.raises(ValueError, match='2 class labels for 3'):
        resolve_labels(10, 3, [1, 2])
    with pytest.raises(ValueError, match=r'\[0, 9\]'):
        resolve_labels(10, 1, [10])


def test_unconditional_models_take_no_labels():
    assert resolve_labels(None, 4) is None
    assert resolve_labels(None, 4, []) is None
    with pytest.raises(ValueError, match='unconditional'):
        resolve_labels(None, 4, [1])


def test_drawn_labels_are_seeded_and_batch_independent():
    rng = torch.Generator().manual_seed(3)
    expected = torch.randint(0, 5, (6, ), generator=rng)
    assert torch.equal(resolve_labels(5, 6, None, seed=3), expected)
    assert torch.equal(draw_class_labels(6, 5, 3)[:4],
                       draw_class_labels(4, 5, 3))
    torch.manual_seed(11)
    unseeded = resolve_labels(5, 6)
    torch.manual_seed(11)
    assert torch.equal(unseeded, torch.randint(0, 5, (6, )))


def test_balanced_labels_cycle_through_the_classes():
    labels = balanced_class_labels(7, 3)
    assert labels.dtype == torch.int64
    assert labels.tolist() == [0, 1, 2, 0, 1, 2, 0]
    assert balanced_class_labels(2, 10).tolist() == [0, 1]
    assert balanced_class_labels(0, 4).tolist() == []
