"""Data: image folders, LSUN's LMDB databases, downsampled ImageNet's
batches, tar shards, the bundled digits, and the sample indices that
generative evaluation loops draw; and VAE latent moments in tar shards
(:mod:`mmcm.datasets.latents`), whose ``img`` is a float ``(8, h, w)``
tensor that the data preprocessor's ``latents`` turns into latents.

Every item, after its pipeline, is ``dict(inputs=dict(img=<uint8 CHW
tensor>, labels=<0-d int64 tensor, class-conditional data only>))``, which
mmengine's ``default_collate`` stacks into the batch that
:class:`~mmcm.models.ConsistencyDataPreprocessor` maps to [-1, 1].
"""
from .digits import DigitsDataset
from .generation import GenerationDataset
from .image_folder import ImageFolderDataset
from .imagenet_batches import DownsampledImageNetDataset
from .latents import LatentShardDataset, LoadLatentMoments, PackLatentInputs
from .lsun_lmdb import LSUNLMDBDataset
from .records import RawRecord
from .tar_shards import TarShardDataset
from .transforms import (CenterCropADM, CenterCropLSUN, LoadImageRGB,
                         PackConsistencyInputs, RandomCropADM,
                         RandomHorizontalFlip)

__all__ = [
    'DigitsDataset', 'DownsampledImageNetDataset', 'GenerationDataset',
    'ImageFolderDataset', 'LSUNLMDBDataset', 'RawRecord', 'TarShardDataset',
    'CenterCropADM', 'CenterCropLSUN', 'LoadImageRGB',
    'PackConsistencyInputs', 'RandomCropADM', 'RandomHorizontalFlip',
    'LatentShardDataset', 'LoadLatentMoments', 'PackLatentInputs'
]
