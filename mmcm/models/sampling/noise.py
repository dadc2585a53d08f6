"""Noise generators with the semantics of the official ``random_util``.

``dummy`` draws from torch's global RNG. ``determ`` and ``determ-indiv`` make
sample ``i`` of a run of ``num_samples`` depend only on the seed and ``i``,
never on the batch size, the number of processes or the device: ``determ``
draws the noise of all samples from one seeded CPU generator per call and
keeps this batch's rows; ``determ-indiv`` keeps one generator per sample.
A batch is named by the global indices of its samples (:meth:`select`);
without them it holds the first samples of the run.
"""
from abc import ABC, abstractmethod
from typing import Dict, Optional, Sequence

import torch

GENERATOR_NAMES = ('dummy', 'determ', 'determ-indiv')


class NoiseGenerator(ABC):
    """Draws the Gaussian noise of one batch of samples."""

    @abstractmethod
    def randn(self, *size, dtype=torch.float32, device='cpu'):
        """Noise of shape ``size``; ``size[0]`` is the batch size."""

    def randn_like(self, tensor: torch.Tensor) -> torch.Tensor:
        return self.randn(*tensor.shape, dtype=tensor.dtype,
                          device=tensor.device)

    def select(self, indices: Sequence[int]) -> 'NoiseGenerator':
        """Start a batch holding the samples ``indices`` of the run (any
        order); generators whose noise ignores indices just return."""
        return self


class DummyGenerator(NoiseGenerator):
    """Draws from torch's global random state."""

    def randn(self, *size, dtype=torch.float32, device='cpu'):
        return torch.randn(*size, dtype=dtype, device=device)

    def randn_like(self, tensor: torch.Tensor) -> torch.Tensor:
        return torch.randn_like(tensor)


class _IndexedGenerator(NoiseGenerator):
    """Shared logic: which global sample indices the current batch holds."""

    def __init__(self, num_samples: int, seed: int = 0):
        if num_samples < 1:
            raise ValueError('deterministic generators need num_samples >= 1')
        self.num_samples = num_samples
        self.seed = seed
        self.selected: Optional[torch.Tensor] = None

    def select(self, indices: Sequence[int]) -> '_IndexedGenerator':
        """Make the batch exactly the samples ``indices`` (any order)."""
        indices = torch.as_tensor([int(i) for i in indices],
                                  dtype=torch.long)
        if indices.numel() and not (0 <= int(indices.min()) and
                                    int(indices.max()) < self.num_samples):
            raise ValueError(
                f'sample indices must lie in [0, {self.num_samples}), got '
                f'{int(indices.min())}..{int(indices.max())}')
        self.selected = indices
        self._restart()
        return self

    def _restart(self) -> None:
        """Called when a new batch starts."""

    def batch_indices(self, batch_size: int) -> torch.Tensor:
        """Global indices of this batch's rows: the selected ones, else the
        first ``batch_size`` samples (clamped to the last one)."""
        if self.selected is None:
            return torch.arange(batch_size).clamp(0, self.num_samples - 1)
        if batch_size != len(self.selected):
            raise ValueError(f'asked for {batch_size} rows, have '
                             f'{len(self.selected)} sample indices')
        return self.selected


class DeterministicGenerator(_IndexedGenerator):
    """One seeded CPU generator; each call draws noise for all samples."""

    def __init__(self, num_samples: int, seed: int = 0):
        super().__init__(num_samples, seed)
        self.rng = torch.Generator().manual_seed(seed)

    def randn(self, *size, dtype=torch.float32, device='cpu'):
        indices = self.batch_indices(size[0])
        noise = torch.randn(self.num_samples, *size[1:], generator=self.rng,
                            dtype=dtype)
        return noise[indices].to(device)

    def _restart(self) -> None:
        """Reseed, so that the new batch's draws replay the same stream."""
        self.rng.manual_seed(self.seed)


class DeterministicIndividualGenerator(_IndexedGenerator):
    """One CPU generator per sample, seeded ``i + num_samples * seed``.

    Generators are made when their sample is first drawn and then kept, so
    a run of 50,000 samples does not seed 50,000 generators at once.
    """

    def __init__(self, num_samples: int, seed: int = 0):
        super().__init__(num_samples, seed)
        self.rngs: Dict[int, torch.Generator] = {}

    def rng(self, index: int) -> torch.Generator:
        if index not in self.rngs:
            self.rngs[index] = torch.Generator().manual_seed(
                index + self.num_samples * self.seed)
        return self.rngs[index]

    def randn(self, *size, dtype=torch.float32, device='cpu'):
        rows = [
            torch.randn(1, *size[1:], generator=self.rng(int(i)),
                        dtype=dtype)
            for i in self.batch_indices(size[0])
        ]
        return torch.cat(rows).to(device)


class FixedNoiseGenerator(NoiseGenerator):
    """Returns given noise for the first draw (e.g. interpolated noises).

    Only ``randn`` of the full noise is supported: one-step sampling draws
    nothing else.
    """

    def __init__(self, noise: torch.Tensor):
        self.noise = noise

    def randn(self, *size, dtype=torch.float32, device='cpu'):
        if tuple(size) != tuple(self.noise.shape):
            raise ValueError(f'asked for noise of shape {tuple(size)}, have '
                             f'{tuple(self.noise.shape)}')
        return self.noise.to(device=device, dtype=dtype)

    def randn_like(self, tensor: torch.Tensor) -> torch.Tensor:
        raise RuntimeError('FixedNoiseGenerator holds one noise only; use '
                           'it with the one-step sampler')


def build_generator(name: str, num_samples: int = 0,
                    seed: int = 0) -> NoiseGenerator:
    """Build the generator called ``name`` (one of :data:`GENERATOR_NAMES`)."""
    if name == 'dummy':
        return DummyGenerator()
    if name == 'determ':
        return DeterministicGenerator(num_samples, seed)
    if name == 'determ-indiv':
        return DeterministicIndividualGenerator(num_samples, seed)
    raise ValueError(f'unknown generator {name!r}; choose one of '
                     f'{", ".join(GENERATOR_NAMES)}')
