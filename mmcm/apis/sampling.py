"""Generate many samples in batches, as the official ``image_sample.py``."""
from typing import Optional, Sequence, Tuple

import numpy as np
from mmengine.logging import MMLogger

from mmcm.models.labels import resolve_labels
from mmcm.utils.batching import map_batches
from mmcm.utils.functional import to_uint8_nhwc


def generate_samples(model,
                     num_samples: int,
                     batch_size: int,
                     class_labels: Optional[Sequence[int]] = None,
                     progress: bool = True,
                     **sampling_options) -> Tuple[np.ndarray,
                                                  Optional[np.ndarray]]:
    """Sample ``num_samples`` images in batches.

    Each batch is :meth:`ConsistencyModel.generate` of its sample indices:
    with the ``determ``/``determ-indiv`` generators, sample ``i`` depends
    only on the seed and ``i``, so results do not depend on ``batch_size``
    or the device. Labels follow :func:`mmcm.models.labels.resolve_labels`
    with the sampling seed.

    Returns:
        ``(images, labels)``: uint8 ``(N, H, W, C)`` and int64 ``(N,)`` labels
        (``None`` for unconditional models).
    """
    if num_samples < 1 or batch_size < 1:
        raise ValueError('num_samples and batch_size must be positive')
    cfg = model.merge_sampling_cfg(sampling_options)
    labels = resolve_labels(model.num_classes, num_samples, class_labels,
                            cfg['seed'])
    logger = MMLogger.get_current_instance()
    logger.info(f'sampling {num_samples} images with {cfg["sampler"]} '
                f'(generator {cfg["generator"]}, seed {cfg["seed"]})')

    def generate_batch(indices: range) -> np.ndarray:
        batch_labels = (None if labels is None else
                        labels[indices.start:indices.stop])
        return to_uint8_nhwc(model.generate(indices, num_samples,
                                            batch_labels, **sampling_options))

    images = map_batches(generate_batch, num_samples, batch_size, progress)
    return (np.concatenate(images),
            None if labels is None else labels.numpy())
