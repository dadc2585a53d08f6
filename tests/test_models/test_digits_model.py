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
def digit_classifier():
    """Logistic regression on scikit-learn's 8x8 digits (values 0..16)."""
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression
    digits = load_digits()
    return LogisticRegression(max_iter=3000).fit(digits.data, digits.target)


def one_step_accuracy(model, classifier) -> float:
    """Share of class-conditional one-step samples classified as asked."""
    labels = np.arange(100) % 10
    images, _ = generate_samples(model, 100, 100, class_labels=labels,
                                 progress=False, seed=0)
    gray = images[..., 0].astype(np.float64)  # the 3 channels are equal
    small = gray.reshape(100, 8, 2, 8, 2).mean(axis=(2, 4)) * 16 / 255
    return float((classifier.predict(small.reshape(100, 64)) == labels)
                 .mean())


def test_bundled_digits_model_draws_recognisable_digits(digit_classifier):
    model = init_model(CONFIG, CHECKPOINT)
    assert one_step_accuracy(model, digit_classifier) >= 0.7


def test_untrained_model_does_not(digit_classifier, tmp_path):
    path = tmp_path / 'random.pt'
    torch.save(random_unet_state_dict(Config.fromfile(CONFIG).model.unet),
               path)
    model = init_model(CONFIG, str(path))
    assert one_step_accuracy(model, digit_classifier) < 0.35
