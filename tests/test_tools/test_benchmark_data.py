"""tools/benchmark_data.py at a tiny size: every format, one JSON record."""
import json
import os.path as osp

from mmcm.analysis.data_benchmark import build_format, make_formats

from ..conftest import REPO


def test_every_format_holds_the_same_images(tmp_path):
    roots = make_formats(str(tmp_path), count=12)
    datasets = {kind: build_format(kind, root) for kind, root in roots.items()}
    for dataset in datasets.values():
        for transform in dataset.pipeline.transforms:
            if hasattr(transform, 'prob'):
                transform.prob = 0.0
    folder = datasets.pop('folder')
    batches = datasets.pop('batches')
    for i in range(12):
        item = folder[i]['inputs']
        name = osp.basename(folder.get_data_info(i)['img_path'])
        assert int(item['labels']) == int(name[1:9])  # n0000000k_...
        for dataset in datasets.values():  # the JPEG bytes, copied
            other = dataset[i]['inputs']
            assert other['img'].equal(item['img'])
            assert other.get('labels', item['labels']) == item['labels']
    # The batches hold the pixels before JPEG: close, not equal.
    first = osp.basename(folder.get_data_info(0)['img_path'])
    index = int(first.split('_')[1][:-5])
    decoded = folder[0]['inputs']['img'].float()
    error = (batches[index]['inputs']['img'].float() - decoded).abs().mean()
    other = (batches[index + 1]['inputs']['img'].float() - decoded).abs()
    assert error < 8 < 30 < other.mean()


def test_benchmark_data_writes_a_row_per_format_and_worker_count(tmp_path):
    import sys
    sys.path.insert(0, REPO)
    from tools.benchmark_data import main
    out = tmp_path / 'speed.json'
    recipe = osp.join(REPO, 'configs', 'consistency_models', 'train',
                      'cm-ct_adm-unet_1xb64-1k_digits-16x16.py')
    rows = main(['--workers', '0', '--images', '48', '--batch-size', '8',
                 '--batches', '2', '--out', str(out), '--recipe', recipe,
                 '--steps-per-second', '3', '--root', str(tmp_path / 'd'),
                 '--repeats', '3'])
    assert [r['format'] for r in rows] == ['folder', 'shards', 'lmdb',
                                           'batches']
    for row in rows:  # the median of three rounds
        assert len(row['runs']) == 3 and min(row['runs']) > 0
        assert row['images_per_second'] == sorted(row['runs'])[1]
    record = json.loads(out.read_text())
    assert record['consumed'] == 64 * 3
