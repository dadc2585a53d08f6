"""Reading the parity fixtures of ``tests/data/parity`` (see its README),
and running an objective outside a model, as those tests and the formula
tests do."""
import functools
import json
import os.path as osp
from typing import Optional

import torch

from mmcm.models.objectives import TrainingNetworks, TrainingStep
from mmcm.models.parameterisations import Parameterisation

from ..conftest import REPO

PARITY = osp.join(REPO, 'tests', 'data', 'parity')


@functools.lru_cache()
def load_fixture(name: str) -> dict:
    """A recorded reference run, read once per session."""
    with open(osp.join(PARITY, name)) as f:
        return json.load(f)


def as_tensor(values, shape=None) -> torch.Tensor:
    """Recorded float64 values (flat, row-major), reshaped."""
    tensor = torch.tensor(values, dtype=torch.float64)
    return tensor if shape is None else tensor.reshape(shape)


class DenoiserParameterisation(Parameterisation):
    """The parameterisation of a network that is a denoiser already:
    ``D(x, sigma) = network(x, sigma)``, for toy denoisers written out by
    hand (its range and ``sigma_data`` are the usual defaults)."""

    def scalings(self, sigma):
        return torch.zeros_like(sigma), torch.ones_like(sigma), \
            torch.ones_like(sigma)

    def __call__(self, network, x, sigma, **network_kwargs):
        return network(x, sigma, **network_kwargs)


def run_objective(objective, parameterisation, x0: torch.Tensor, online,
                  target=None, teacher=None, log_variance=None,
                  iteration: int = 0, num_scales: Optional[int] = None,
                  labels: Optional[torch.Tensor] = None, **draws):
    """``(per-sample loss, logs)`` of ``objective`` on the batch ``x0``
    (with ``labels`` and the fixed ``draws``, e.g. ``noise``, ``t``, ``u``)
    and the raw networks given, at ``iteration`` with ``N(k) =
    num_scales``."""
    batch = dict(img=x0, labels=labels, **draws)
    networks = TrainingNetworks(online=online, target=target,
                                teacher=teacher, log_variance=log_variance)
    return objective(batch, networks, parameterisation,
                     TrainingStep(iteration, num_scales))

