"""The batch loop over a run of samples."""
import pytest

from mmcm.utils import batching
from mmcm.utils.batching import map_batches


def test_batches_cover_the_run_in_order():
    assert map_batches(list, 7, 3) == [[0, 1, 2], [3, 4, 5], [6]]
    assert map_batches(list, 6, 3) == [[0, 1, 2], [3, 4, 5]]
    assert map_batches(list, 2, 5) == [[0, 1]]
    assert map_batches(list, 0, 5) == []
    assert map_batches(lambda r: (r.start, r.stop), 5, 2) == [(0, 2), (2, 4),
                                                             (4, 5)]


def test_bad_sizes_raise():
    with pytest.raises(ValueError, match='batch_size >= 1'):
        map_batches(list, 4, 0)
    with pytest.raises(ValueError, match='num_samples >= 0'):
        map_batches(list, -1, 2)


def test_progress_bar_counts_samples_and_ends_its_line(monkeypatch, capsys):
    bars = []

    class Bar:

        def __init__(self, total):
            self.total, self.updates = total, []
            bars.append(self)

        def update(self, num):
            self.updates.append(num)

    monkeypatch.setattr(batching, 'ProgressBar', Bar)
    map_batches(list, 5, 2, progress=True)
    assert [(bar.total, bar.updates) for bar in bars] == [(5, [2, 2, 1])]
    assert capsys.readouterr().out == '\n'
    map_batches(list, 5, 2)
    assert len(bars) == 1 and capsys.readouterr().out == ''
