"""Encode an image data set once into VAE latent moments in tar shards.

Reads any source ``tools/convert_dataset.py`` reads (an image folder, an
LSUN LMDB, downsampled ImageNet's batches, tar shards) through the same
data set classes, centre-crops each image as ADM (and EDM2's ImageNet
tool) do to ``--resolution``, and stores the posterior mean and std of the
VAE (``stabilityai/sd-vae-ft-mse``, a local diffusers folder) of every
image: ``(8, R / 8, R / 8)`` arrays, 8 x 64 x 64 at 512. Training then
draws a fresh latent ``mean + std * eps`` from them at every step, as
EDM2's and sCM's ImageNet-512 runs do.

Format: the project's tar shards (``shard-000000.tar`` ... with an
``index.json`` of member offsets, read by offset when sampled) with one
``<key>.npy`` member per image in place of ``<key>.png``, beside its
``<key>.cls`` label, and a ``latents.json`` recording the VAE, pixel range
and resolution. The image formats store encoded images, which cannot carry
float arrays; an ``.npy`` member is the smallest change that keeps the
shards' layout, index and readers (``LatentShardDataset`` subclasses
``TarShardDataset``), any mmengine file backend, and per-image reads. Each
array is an ordinary ``.npy`` file (``tar -x`` gives EDM2-style files).

Unreadable images are skipped, logged and counted, as in
``tools/convert_dataset.py``.

Examples:
    python tools/encode_latents.py data/imagenet data/imagenet512_latents \
        --vae checkpoints/sd-vae-ft-mse --format folder --class-cond \
        --resolution 512 --device cuda
    python tools/encode_latents.py data/imagenet_shards \
        data/imagenet512_latents --vae checkpoints/sd-vae-ft-mse \
        --format shards --dtype float16
"""
import argparse
import os.path as osp
import sys
from typing import Iterable, Iterator, List, Optional

import numpy as np
import torch

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))

from mmcm.utils.cli import quiet_imports  # noqa: E402

with quiet_imports():
    from convert_dataset import SOURCES, records  # noqa: E402

    from mmcm.datasets.latents import (MOMENTS_DTYPES,  # noqa: E402
                                       LatentRecord, write_latent_shards)
    from mmcm.datasets.records import RawRecord, warn_unreadable  # noqa
    from mmcm.datasets.transforms import (UNREADABLE,  # noqa: E402
                                          CenterCropADM, decode_rgb)
    from mmcm.models.latents import StabilityVAE  # noqa: E402
    from mmcm.utils.functional import DTYPES  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('source', help='source folder, database or batches')
    parser.add_argument('out', help='output folder of the latent shards')
    parser.add_argument('--vae', required=True,
                        help='local diffusers AutoencoderKL folder, e.g. '
                        'stabilityai/sd-vae-ft-mse downloaded once')
    parser.add_argument('--format', choices=sorted(SOURCES),
                        default='folder', help='source format')
    parser.add_argument('--class-cond', action='store_true',
                        help='image folders: label by file-name prefix')
    parser.add_argument('--split', default='train',
                        help="imagenet-batches: 'train' or 'val'")
    parser.add_argument('--resolution', type=int, default=512,
                        help='side of the ADM centre crop the VAE encodes')
    parser.add_argument('--batch-size', type=int, default=8,
                        help='images per VAE call')
    parser.add_argument('--dtype', choices=MOMENTS_DTYPES, default='float32',
                        help='stored precision of the moments')
    parser.add_argument('--vae-dtype', choices=sorted(DTYPES),
                        default='fp32', help='precision the VAE runs in')
    parser.add_argument('--pixel-range', type=float, nargs=2,
                        default=(0.0, 1.0), metavar=('LOW', 'HIGH'),
                        help="the VAE's pixel range: 0 1 as EDM2 (whose "
                        'latent statistics the configs use), -1 1 as '
                        'Stable Diffusion')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--items-per-shard', type=int, default=1000)
    return parser.parse_args(argv)


def cropped_pixels(record: RawRecord, crop: CenterCropADM
                   ) -> Optional[np.ndarray]:
    """The record's RGB ``uint8`` image, centre-cropped; ``None`` (and a
    log line) when its bytes do not decode."""
    try:
        image = (np.asarray(record.pixels) if record.data is None
                 else decode_rgb(record.data))
    except UNREADABLE as error:
        warn_unreadable(record.key, error)
        return None
    return crop.transform(dict(img=image))['img']


def batches(raw: Iterable[RawRecord], resolution: int,
            batch_size: int) -> Iterator[List[tuple]]:
    """Lists of up to ``batch_size`` ``(record, pixels)`` pairs of the
    readable records, cropped to ``resolution``."""
    crop, batch = CenterCropADM(resolution), []
    for record in raw:
        pixels = cropped_pixels(record, crop)
        if pixels is None:
            continue
        batch.append((record, pixels))
        if len(batch) == batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


def encode_batch(vae: StabilityVAE, batch: List[tuple], device: str,
                 dtype: str) -> List[LatentRecord]:
    """The latent records of one batch: moments ``(2C, h, w)`` in
    ``dtype``, keys and labels of the source."""
    images = torch.from_numpy(np.stack([p for _, p in batch]))
    mean, std = vae.encode_moments(images.permute(0, 3, 1, 2).to(device))
    moments = torch.cat([mean, std], dim=1).cpu().numpy().astype(dtype)
    return [LatentRecord(record.key, array, record.label)
            for (record, _), array in zip(batch, moments)]


def latent_records(dataset, vae: StabilityVAE, args
                   ) -> Iterator[LatentRecord]:
    """Every readable image of ``dataset`` as a latent record."""
    for batch in batches(records(dataset), args.resolution,
                         args.batch_size):
        yield from encode_batch(vae, batch, args.device, args.dtype)


def main(argv=None) -> int:
    """Encode; returns the number of images written."""
    args = parse_args(argv)
    vae = StabilityVAE(path=args.vae, pixel_range=args.pixel_range,
                       batch_size=args.batch_size, dtype=args.vae_dtype)
    dataset = SOURCES[args.format](args)
    meta = dict(vae=osp.abspath(args.vae), pixel_range=list(vae.pixel_range),
                resolution=args.resolution, crop='CenterCropADM',
                source=osp.abspath(args.source), source_format=args.format)
    written = write_latent_shards(latent_records(dataset, vae, args),
                                  args.out, args.items_per_shard, meta)
    print(f'\n{written} of {len(dataset)} images encoded to {args.out}')
    return written


if __name__ == '__main__':
    try:
        main()
    except FileNotFoundError as error:
        print(f'error: {error}', file=sys.stderr)
        sys.exit(1)
