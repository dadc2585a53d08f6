"""The bundled digits model draws digits a classifier recognises."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine import Config

from mmcm.apis import (edit_images, generate_samples, init_model,
                       load_image, load_mask, random_unet_state_dict)
from mmcm.evaluation.small_data import laplacian_energy

from ..conftest import REPO

CONFIG = osp.join(REPO, 'configs', 'consistency_models', 'digits',
                  'cm-ct_adm-unet_1step_digits-16x16.py')
CHECKPOINT = osp.join(REPO, 'checkpoints', 'cm-ct_digits-16x16.pt')
EDIT_INPUTS = osp.join(REPO, 'demo', 'resources', 'digits')


@pytest.fixture(scope='module')
def digit_classifier(digits_classifier):
    """The small-data classifier, trained on the digits' training split
    (the digits configs' own, trained once per session: tests/conftest.py)."""
    return digits_classifier


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
    torch.save(random_unet_state_dict(Config.fromfile(CONFIG).model.network),
               path)
    model = init_model(CONFIG, str(path))
    assert one_step_accuracy(model, digit_classifier) < 0.35


@pytest.mark.parametrize('task, options', [
    ('inpaint', dict(mask=load_mask('center', 16))),
    ('superres', dict(factor=4)),
])
def test_bundled_model_edits_read_as_digits(digit_classifier, task, options):
    """Inpainted centres and 4x super-resolved digits (the README's editing
    figures) are digits of their class, without the grain of leaked noise:
    the high-pass energy stays near that of the real digits."""
    model = init_model(CONFIG, CHECKPOINT)
    digits = np.stack([load_image(osp.join(EDIT_INPUTS, f'digit_{k}.png'))
                       for k in range(10)])[..., None]
    labels = np.arange(30) % 10
    result = edit_images(model, task, np.concatenate([digits] * 3),
                         class_labels=labels.tolist(), seed=0, **options)
    pixels = torch.from_numpy(result.images).permute(0, 3, 1, 2)
    predicted = digit_classifier(pixels).argmax(1).numpy()
    assert (predicted == labels).mean() >= 0.8
    real = torch.from_numpy(digits).permute(0, 3, 1, 2)
    assert laplacian_energy(pixels) < 1.5 * laplacian_energy(real)
