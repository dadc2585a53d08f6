"""Generate many samples in batches, as the official ``image_sample.py``."""
from typing import Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.logging import MMLogger
from mmengine.utils import ProgressBar

from mmcm.models.consistency_model import expand_labels
from mmcm.models.data_preprocessors import ConsistencyDataPreprocessor
from mmcm.models.schedulers import build_generator


def draw_class_labels(num_samples: int, num_classes: int,
                      seed: int) -> torch.Tensor:
    """Labels for all samples from one seeded generator (batch-independent)."""
    rng = torch.Generator().manual_seed(seed)
    return torch.randint(0, num_classes, (num_samples, ), generator=rng)


def resolve_labels(model, num_samples: int,
                   class_labels: Optional[Sequence[int]],
                   seed: int) -> Optional[torch.Tensor]:
    """One label per sample: the given ones (a single label repeats) or
    seeded random ones."""
    given = class_labels is not None and len(class_labels) > 0
    if model.num_classes is None:
        if given:
            raise ValueError('this model is unconditional; drop the class '
                             'labels')
        return None
    if not given:
        return draw_class_labels(num_samples, model.num_classes, seed)
    return expand_labels(list(class_labels), num_samples, model.num_classes)


def generate_samples(model,
                     num_samples: int,
                     batch_size: int,
                     class_labels: Optional[Sequence[int]] = None,
                     progress: bool = True,
                     **sampling_options) -> Tuple[np.ndarray,
                                                  Optional[np.ndarray]]:
    """Sample ``num_samples`` images in batches.

    With the ``determ``/``determ-indiv`` generators, sample ``i`` depends only
    on the seed and ``i``: each batch restarts the seeded stream and keeps its
    own rows, so results do not depend on ``batch_size`` or the device.

    Returns:
        ``(images, labels)``: uint8 ``(N, H, W, C)`` and int64 ``(N,)`` labels
        (``None`` for unconditional models).
    """
    if num_samples < 1 or batch_size < 1:
        raise ValueError('num_samples and batch_size must be positive')
    cfg = model.merge_sampling_cfg(sampling_options)
    generator = build_generator(cfg['generator'], num_samples, cfg['seed'])
    labels = resolve_labels(model, num_samples, class_labels, cfg['seed'])
    logger = MMLogger.get_current_instance()
    logger.info(f'sampling {num_samples} images with {cfg["sampler"]} '
                f'(generator {cfg["generator"]}, seed {cfg["seed"]})')
    bar = ProgressBar(num_samples) if progress else None
    images = []
    for start in range(0, num_samples, batch_size):
        size = min(batch_size, num_samples - start)
        generator.set_done_samples(start)
        batch_labels = None if labels is None else labels[start:start + size]
        batch = model.sample(size, labels=batch_labels,
                             noise_generator=generator,
                             **sampling_options)
        images.append(ConsistencyDataPreprocessor.to_uint8_nhwc(batch))
        if bar is not None:
            bar.update(size)
    if bar is not None:
        print()
    return (np.concatenate(images),
            None if labels is None else labels.numpy())
