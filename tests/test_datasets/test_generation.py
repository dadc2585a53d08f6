import pytest

from mmcm.registry import DATASETS


def test_items_name_indices_and_seeded_labels():
    dataset = DATASETS.build(dict(type='GenerationDataset', num_samples=50,
                                  num_classes=7, label_seed=3))
    assert len(dataset) == 50
    item = dataset[12]['inputs']
    assert item['sample_index'] == 12 and item['num_samples'] == 50
    labels = [dataset[i]['inputs']['labels'] for i in range(50)]
    assert set(labels) <= set(range(7)) and len(set(labels)) > 3
    again = DATASETS.build(dict(type='GenerationDataset', num_samples=50,
                                num_classes=7, label_seed=3))
    assert [again[i]['inputs']['labels'] for i in range(50)] == labels
    other = DATASETS.build(dict(type='GenerationDataset', num_samples=50,
                                num_classes=7, label_seed=4))
    assert [other[i]['inputs']['labels'] for i in range(50)] != labels


def test_unconditional_items_have_no_labels_and_bad_sizes_fail():
    dataset = DATASETS.build(dict(type='GenerationDataset', num_samples=2))
    assert 'labels' not in dataset[1]['inputs']
    with pytest.raises(ValueError, match='num_samples'):
        DATASETS.build(dict(type='GenerationDataset', num_samples=0))
    with pytest.raises(ValueError, match='num_classes'):
        DATASETS.build(dict(type='GenerationDataset', num_samples=2,
                            num_classes=0))


def test_balanced_labels_cycle_through_the_classes():
    dataset = DATASETS.build(dict(type='GenerationDataset', num_samples=23,
                                  num_classes=10, balanced_labels=True))
    labels = [dataset[i]['inputs']['labels'] for i in range(23)]
    assert labels == [i % 10 for i in range(23)]
