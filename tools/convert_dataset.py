"""Convert an image data set between the formats mmcm reads.

Sources: an image folder, an LSUN LMDB database, downsampled ImageNet's
batch files, tar shards. Targets: tar shards (with ``index.json``), an LMDB
database, an image folder. Stored bytes are copied, not re-encoded; pixels
(ImageNet batches) are written as PNG. Unreadable images are skipped,
logged and counted.

Examples:
    python tools/convert_dataset.py folder data/imagenet64 \
        data/imagenet64_shards --to shards --class-cond
    python tools/convert_dataset.py lmdb bedroom_train_lmdb \
        data/bedroom_shards --to shards
    python tools/convert_dataset.py imagenet-batches data/Imagenet64_train \
        data/imagenet64_shards --to shards
"""
import argparse

from mmcm.utils.cli import quiet_imports

with quiet_imports():
    from mmengine.utils import ProgressBar

    from mmcm.datasets import (DownsampledImageNetDataset,
                               ImageFolderDataset, LSUNLMDBDataset,
                               TarShardDataset)
    from mmcm.datasets.writers import write_folder, write_lmdb, write_shards

SOURCES = {
    'folder': lambda args: ImageFolderDataset(
        data_root=args.source, class_cond=args.class_cond),
    'lmdb': lambda args: LSUNLMDBDataset(data_root=args.source),
    'imagenet-batches': lambda args: DownsampledImageNetDataset(
        data_root=args.source, split=args.split),
    'shards': lambda args: TarShardDataset(data_root=args.source),
}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('kind', choices=sorted(SOURCES), help='source format')
    parser.add_argument('source', help='source folder, database or batches')
    parser.add_argument('out', help='output folder (or LMDB path)')
    parser.add_argument('--to', choices=('shards', 'lmdb', 'folder'),
                        required=True)
    parser.add_argument('--class-cond', action='store_true',
                        help='image folders: label by file-name prefix')
    parser.add_argument('--split', default='train',
                        help="imagenet-batches: 'train' or 'val'")
    parser.add_argument('--images-per-shard', type=int, default=1000)
    return parser.parse_args(argv)


def records(dataset):
    """Every raw record of ``dataset``, with a progress bar."""
    bar = ProgressBar(len(dataset))
    for idx in range(len(dataset)):
        yield dataset.raw_record(idx)
        bar.update()


def main(argv=None) -> int:
    args = parse_args(argv)
    dataset = SOURCES[args.kind](args)
    stream = records(dataset)
    if args.to == 'shards':
        written = write_shards(stream, args.out, args.images_per_shard)
    elif args.to == 'lmdb':
        written = write_lmdb(stream, args.out)
    else:
        classes = dataset.metainfo.get('classes')
        written = write_folder(stream, args.out, classes)
    print(f'\n{written} of {len(dataset)} images written to {args.out}')
    return written


if __name__ == '__main__':
    main()
