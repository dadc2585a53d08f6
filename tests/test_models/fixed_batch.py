"""Train a model a few steps on one fixed batch, as the runner would."""
import torch
from mmengine.logging import MessageHub
from mmengine.optim import build_optim_wrapper

from mmcm.models.labels import balanced_class_labels


def uint8_batch(shape, num_classes: int, seed: int = 0) -> dict:
    """Random uint8 images of ``shape`` and labels ``arange % classes``."""
    img = torch.randint(0, 256, shape, dtype=torch.uint8,
                        generator=torch.Generator().manual_seed(seed))
    labels = balanced_class_labels(shape[0], num_classes)
    return dict(inputs=dict(img=img, labels=labels))


def train_on_batch(model, data: dict, steps: int, lr: float = 2e-3,
                   noise_seed: int = 1234) -> list:
    """Losses of ``steps`` Adam steps, each with the same noise and
    indices; the averages are updated after each step, as the averages
    hook does."""
    wrapper = build_optim_wrapper(model, dict(
        type='OptimWrapper', optimizer=dict(type='Adam', lr=lr)))
    hub = MessageHub.get_current_instance()
    losses = []
    try:
        for step in range(steps):
            hub.update_info('iter', step)
            torch.manual_seed(noise_seed)
            losses.append(model.train_step(data, wrapper)['loss'].item())
            model.update_averages(step)
    finally:
        hub.update_info('iter', 0)
    return losses
