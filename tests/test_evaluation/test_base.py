"""Metrics that read the same batch share one feature extraction."""
import gc

import numpy as np
import torch

from mmcm.evaluation.base import LastBatchFeatures
from mmcm.registry import METRICS


class CountingFeatures(torch.nn.Module):
    """A 2048-d feature per image (its mean pixel), counting the calls."""

    def __init__(self):
        super().__init__()
        self.calls = 0

    def forward(self, images):
        self.calls += 1
        return images.float().mean((1, 2, 3))[:, None].expand(-1, 2048)


def samples(values):
    return [dict(fake_img=torch.full((3, 2, 2), float(v)), sample_index=i)
            for i, v in enumerate(values)]


def test_metrics_share_the_features_of_one_batch(tmp_path):
    extractor = CountingFeatures()
    reference = tmp_path / 'reference.npz'
    np.savez(reference, arr_0=np.full((4, 2, 2, 3), 9, np.uint8))
    common = dict(extractor=extractor, device='cpu')
    fid = METRICS.build(dict(type='FrechetInceptionDistance',
                             reference=str(reference), cache_dir=str(tmp_path),
                             **common))
    recall = METRICS.build(dict(type='PrecisionRecall',
                                reference=str(reference),
                                cache_dir=str(tmp_path), k=1, **common))
    batch = samples([10, 20, 30])
    fid.process({}, batch)
    recall.process({}, batch)
    assert extractor.calls == 1
    recall.process({}, samples([10, 20, 30]))  # another batch object
    assert extractor.calls == 2
    assert recall.results[0][1][:, 0].tolist() == [10.0, 20.0, 30.0]


def test_the_memo_goes_with_its_extractor():
    extractor = CountingFeatures()
    memo = LastBatchFeatures.of(extractor)
    assert LastBatchFeatures.of(extractor) is memo
    memo.keep([], ('fake_img', True), np.zeros(1))
    del extractor
    gc.collect()
    assert not any(isinstance(held, CountingFeatures)
                   for held in LastBatchFeatures._memos.keys())
