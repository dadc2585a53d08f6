"""Classifier-based metrics of small labelled data sets (the digits)."""
import numpy as np
import pytest
import torch

from mmcm.evaluation.classifier import (SmallClassifier, classifier_for,
                                        dataset_arrays, train_classifier)
from mmcm.evaluation.small_data import (class_histogram, laplacian_energy,
                                        nearest_distances)
from mmcm.registry import METRICS

pytest.importorskip('sklearn')
DIGITS = dict(type='DigitsDataset', image_size=16, channels=3,
              class_cond=True)


@pytest.fixture(scope='module')
def metric(tmp_path_factory):
    cache = tmp_path_factory.mktemp('classifiers')
    return METRICS.build(dict(
        type='SmallDataMetrics', train_set=dict(DIGITS, split='train'),
        reference=dict(DIGITS, split='val'), num_classes=10,
        cache_dir=str(cache), classifier=dict(epochs=20)))


def test_laplacian_energy_and_nearest_distances_by_hand():
    flat = torch.full((1, 1, 3, 3), 255, dtype=torch.uint8)
    assert laplacian_energy(flat) == 0.0
    dot = torch.zeros(1, 1, 3, 3, dtype=torch.uint8)
    dot[0, 0, 1, 1] = 255  # the one valid 3x3 window answers -4
    assert laplacian_energy(dot) == 16.0
    keys = torch.tensor([[0.0, 0.0], [3.0, 4.0]])
    queries = torch.tensor([[3.0, 0.0], [3.0, 5.0]])
    assert nearest_distances(queries, keys).tolist() == [3.0, 1.0]
    assert class_histogram(np.array([0, 2, 2, 1]), 4).tolist() == [
        0.25, 0.25, 0.5, 0.0]


def test_classifier_is_deterministic_and_reads_held_out_digits(metric):
    images, labels = dataset_arrays(dict(DIGITS, split='train'))
    held_out, held_labels = dataset_arrays(dict(DIGITS, split='val'))
    # Two short trainings show determinism; the held-out accuracy is that
    # of the module's metric classifier (train_classifier, 20 epochs), which
    # the metric tests train anyway.
    a = train_classifier(images, labels, 10, epochs=2)
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    b = train_classifier(images, labels, 10, epochs=2)
    assert torch.rand(1) == before  # the global RNG is left alone
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.equal(pa, pb)
    trained = metric.reference_side()['classifier']
    with torch.no_grad():
        accuracy = (trained(held_out).argmax(1) == held_labels).double().mean()
    assert accuracy > 0.9
    with pytest.raises(ValueError, match='3-channel'):
        a(held_out[:, :1])


def test_classifier_is_cached_by_what_defines_it(tmp_path):
    first = classifier_for(dict(DIGITS, split='train'), 10, str(tmp_path),
                           epochs=1)
    assert len(list(tmp_path.iterdir())) == 1
    again = classifier_for(dict(DIGITS, split='train'), 10, str(tmp_path),
                           epochs=1)
    assert isinstance(again, SmallClassifier)
    assert all(torch.equal(p, q) for p, q in zip(first.parameters(),
                                                  again.parameters()))
    classifier_for(dict(DIGITS, split='train'), 10, str(tmp_path), epochs=2)
    assert len(list(tmp_path.iterdir())) == 2


def test_real_training_images_score_as_copies_noise_does_not(metric):
    images, labels = dataset_arrays(dict(DIGITS, split='train'))
    real = metric.scores(images[:300], labels[:300].numpy())
    assert real['accuracy'] > 0.97 and real['copy_rate'] == 1.0
    assert 0.8 < real['variance_ratio'] < 1.25
    assert real['CS'] > 8
    rng = torch.Generator().manual_seed(0)
    noise = torch.randint(0, 256, images[:300].shape, generator=rng,
                          dtype=torch.uint8)
    fake = metric.scores(noise, labels[:300].numpy())
    assert fake['copy_rate'] == 0.0 and fake['variance_ratio'] > 3
    assert fake['FD'] > 5 * real['FD'] and fake['accuracy'] < 0.5
    blurred = torch.nn.functional.avg_pool2d(images[:300].float(), 3, 1, 1)
    assert metric.scores(blurred.to(torch.uint8))['variance_ratio'] < 0.5


def test_metric_reads_generated_samples_in_index_order(metric):
    images, labels = dataset_arrays(dict(DIGITS, split='train'))
    samples = [dict(fake_img=images[i].float(), sample_index=i,
                    gt_label=dict(label=torch.tensor([int(labels[i])])))
               for i in range(40)]
    metric.process({}, samples[20:])
    metric.process({}, samples[:20])
    scores = metric.compute_metrics(metric.results)
    metric.results.clear()
    assert scores == pytest.approx(metric.scores(images[:40],
                                                 labels[:40].numpy()))
    assert set(scores) == {'FD', 'CS', 'coverage', 'variance_ratio',
                           'copy_rate', 'accuracy'}


def test_the_reference_must_be_held_out():
    with pytest.raises(ValueError, match='held-out'):
        METRICS.build(dict(type='SmallDataMetrics',
                           train_set=dict(DIGITS, split='train'),
                           reference=dict(DIGITS, split='train'),
                           num_classes=10))
