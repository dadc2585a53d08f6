"""Reading the parity fixtures of ``tests/data/parity`` (see its README)."""
import functools
import json
import os.path as osp

import torch

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
