"""A small classifier of a labelled data set: the ruler of small-data metrics.

Inception features of 16-pixel digits upsampled to 299 pixels cannot rank
models of such data (their run-to-run spread is the size of the
differences). A network trained on the data set's own *training* split sees
what matters there: which class an image shows and how it is drawn. It is
trained deterministically in seconds on a CPU and cached by what defines it
(the training set's config and the hyperparameters).
"""
import hashlib
import json
import os
import os.path as osp
from typing import Optional, Tuple

import torch
import torch.nn.functional as F
from mmengine.logging import MMLogger
from torch import nn

from mmcm.registry import DATASETS
from mmcm.utils.functional import from_pixels
from mmcm.utils.paths import mmcm_home

CACHE_VERSION = 1


class SmallClassifier(nn.Module):
    """Two conv blocks, global pooling and a linear head.

    :meth:`features` is the ``feature_dim``-d penultimate layer used for the
    Frechet distance; :meth:`forward` gives the class logits. Both take
    pixels in ``[0, 255]`` (uint8 or float), ``(N, C, H, W)``.
    """

    def __init__(self, in_channels: int, num_classes: int, width: int = 32,
                 feature_dim: int = 64):
        super().__init__()
        self.in_channels, self.num_classes = in_channels, num_classes
        self.body = nn.Sequential(
            nn.Conv2d(in_channels, width, 3, padding=1), nn.SiLU(),
            nn.Conv2d(width, width, 3, padding=1), nn.SiLU(),
            nn.AvgPool2d(2),
            nn.Conv2d(width, 2 * width, 3, padding=1), nn.SiLU(),
            nn.Conv2d(2 * width, 2 * width, 3, padding=1), nn.SiLU(),
            nn.AdaptiveAvgPool2d(2), nn.Flatten(),
            nn.Linear(8 * width, feature_dim), nn.SiLU())
        self.head = nn.Linear(feature_dim, num_classes)

    def features(self, pixels: torch.Tensor) -> torch.Tensor:
        if pixels.shape[1] != self.in_channels:
            raise ValueError(f'the classifier reads {self.in_channels}-'
                             f'channel images, got {pixels.shape[1]}')
        return self.body(from_pixels(pixels))

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(pixels))


def dataset_arrays(dataset_cfg: dict) -> Tuple[torch.Tensor, torch.Tensor]:
    """``(uint8 (N, C, H, W) images, int64 (N,) labels)`` of a data set."""
    dataset = DATASETS.build(dict(dataset_cfg))
    images, labels = [], []
    for index in range(len(dataset)):
        inputs = dataset[index]['inputs']
        if inputs.get('labels') is None:
            raise ValueError('small-data metrics need class labels: build '
                             'the data set with class_cond=True')
        images.append(torch.as_tensor(inputs['img']))
        labels.append(int(inputs['labels']))
    return torch.stack(images), torch.tensor(labels)


def train_classifier(images: torch.Tensor, labels: torch.Tensor,
                     num_classes: int, seed: int = 0, epochs: int = 40,
                     batch_size: int = 64, lr: float = 2e-3,
                     shift: int = 1, **arch) -> SmallClassifier:
    """Adam on cross-entropy, deterministic for a seed; the global RNG is
    left as it was. Each batch is shifted by up to ``shift`` pixels, so
    that a slightly misplaced stroke is still read as its digit."""
    with torch.random.fork_rng(devices=[]), torch.enable_grad():
        torch.manual_seed(seed)
        model = SmallClassifier(images.shape[1], num_classes, **arch)
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(
            optimizer, epochs * -(-len(images) // batch_size))
        for _ in range(epochs):
            order = torch.randperm(len(images))
            for start in range(0, len(images), batch_size):
                batch = order[start:start + batch_size]
                x = random_shift(images[batch].float(), shift)
                loss = F.cross_entropy(model(x), labels[batch])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                schedule.step()
    return model.eval().requires_grad_(False)


def random_shift(images: torch.Tensor, shift: int) -> torch.Tensor:
    """Roll the batch by one random offset in ``[-shift, shift]^2``."""
    if shift <= 0:
        return images
    dy, dx = (int(v) for v in torch.randint(-shift, shift + 1, (2, )))
    return torch.roll(images, (dy, dx), dims=(2, 3))


def classifier_for(train_set: dict, num_classes: int,
                   cache_dir: Optional[str] = None,
                   arrays: Optional[Tuple[torch.Tensor, torch.Tensor]] = None,
                   **options) -> SmallClassifier:
    """The classifier of ``train_set`` (a dataset config), trained once and
    cached under ``cache_dir`` (default ``$MMCM_HOME/classifiers``).
    ``arrays`` are the set's ``(images, labels)`` if already read."""
    key = json.dumps(dict(train_set=train_set, num_classes=num_classes,
                          options=options, version=CACHE_VERSION),
                     sort_keys=True, default=str)
    name = hashlib.sha1(key.encode()).hexdigest()[:16]
    path = osp.join(cache_dir or osp.join(mmcm_home(), 'classifiers'),
                    f'{name}.pth')
    images, labels = arrays if arrays is not None else \
        dataset_arrays(train_set)
    arch = {k: v for k, v in options.items() if k in ('width', 'feature_dim')}
    if osp.isfile(path):
        model = SmallClassifier(images.shape[1], num_classes, **arch)
        model.load_state_dict(torch.load(path, map_location='cpu',
                                         weights_only=True))
        return model.eval().requires_grad_(False)
    MMLogger.get_current_instance().info(
        f'training the small-data classifier on {len(images)} images '
        f'(cached as {path})')
    model = train_classifier(images, labels, num_classes, **options)
    os.makedirs(osp.dirname(path), exist_ok=True)
    torch.save(model.state_dict(), path)
    return model
