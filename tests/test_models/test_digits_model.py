"""The bundled digits model draws digits a classifier recognises."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine import Config

from mmcm.apis import generate_samples, init_model
from mmcm.apis import random_unet_state_dict

from ..conftest import REPO

CONFIG = osp.join(REPO, 'configs', 'consistency_models', 'digits',
                  'cm-ct_adm-unet_1step_digits-16x16.py')
CHECKPOINT = osp.join(REPO, 'checkpoints', 'cm-ct_digits-16x16_ema.pt')


@pytest.fixture(scope='module')
def digit_classifier(tmp_path_factory):
    """The small-data classifier, trained on the digits' training split."""
    pytest.importorskip('sklearn')
    from mmcm.evaluation import classifier_for
    train_split = dict(type='DigitsDataset', image_size=16, class_cond=True,
                       split='train')
    return classifier_for(train_split, 10,
                          str(tmp_path_factory.mktemp('classifier')))


@torch.no_grad()
def one_step_accuracy(model, classifier) -> float:
    """Share of class-conditional one-step samples classified as asked."""
    labels = np.arange(500) % 10
    images, _ = generate_samples(model, 500, 250, class_labels=labels,
                                 progress=False, seed=0)
    pixels = torch.from_numpy(images).permute(0, 3, 1, 2)
    predicted = classifier(pixels).argmax(1).numpy()
    return float((predicted == labels).mean())


def test_bundled_digits_model_draws_recognisable_digits(digit_classifier):
    model = init_model(CONFIG, CHECKPOINT)
    assert one_step_accuracy(model, digit_classifier) >= 0.9


def test_untrained_model_does_not(digit_classifier, tmp_path):
    path = tmp_path / 'random.pt'
    torch.save(random_unet_state_dict(Config.fromfile(CONFIG).model.unet),
               path)
    model = init_model(CONFIG, str(path))
    assert one_step_accuracy(model, digit_classifier) < 0.35
