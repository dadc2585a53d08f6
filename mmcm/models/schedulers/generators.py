"""Random generators with the semantics of the official ``random_util``.

``dummy`` draws from torch's global RNG. ``determ`` and ``determ-indiv`` make
sample ``i`` of a run of ``num_samples`` depend only on the seed and ``i``,
never on the batch size, the number of processes or the device: ``determ``
draws the noise of all samples from one seeded CPU generator per call and
keeps this batch's rows; ``determ-indiv`` keeps one generator per sample.
"""
import torch
import torch.distributed as dist

GENERATOR_NAMES = ('dummy', 'determ', 'determ-indiv')


def _rank_and_world_size():
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


class DummyGenerator:
    """Draws from torch's global random state."""

    def randn(self, *size, dtype=torch.float32, device='cpu'):
        return torch.randn(*size, dtype=dtype, device=device)

    def randn_like(self, tensor: torch.Tensor) -> torch.Tensor:
        return torch.randn_like(tensor)

    def set_done_samples(self, done_samples: int) -> None:
        """Nothing to do: the global state advances by itself."""


class _IndexedGenerator:
    """Shared logic: which global sample indices the current batch holds."""

    def __init__(self, num_samples: int, seed: int = 0):
        if num_samples < 1:
            raise ValueError('deterministic generators need num_samples >= 1')
        self.num_samples = num_samples
        self.seed = seed
        self.done_samples = 0
        self.rank, self.world_size = _rank_and_world_size()

    def batch_indices(self, batch_size: int) -> torch.Tensor:
        """Global indices of this rank's rows, clamped to the last sample."""
        start = self.done_samples + self.rank
        stop = self.done_samples + self.world_size * batch_size
        indices = torch.arange(start, stop, self.world_size)
        return indices.clamp(0, self.num_samples - 1)

    def randn_like(self, tensor: torch.Tensor) -> torch.Tensor:
        return self.randn(*tensor.shape, dtype=tensor.dtype,
                          device=tensor.device)


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

    def set_done_samples(self, done_samples: int) -> None:
        """Start a new batch: reseed so its draws replay the same stream."""
        self.done_samples = done_samples
        self.rng.manual_seed(self.seed)


class DeterministicIndividualGenerator(_IndexedGenerator):
    """One CPU generator per sample, seeded ``i + num_samples * seed``."""

    def __init__(self, num_samples: int, seed: int = 0):
        super().__init__(num_samples, seed)
        self.rngs = [
            torch.Generator().manual_seed(i + num_samples * seed)
            for i in range(num_samples)
        ]

    def randn(self, *size, dtype=torch.float32, device='cpu'):
        rows = [
            torch.randn(1, *size[1:], generator=self.rngs[int(i)],
                        dtype=dtype)
            for i in self.batch_indices(size[0])
        ]
        return torch.cat(rows).to(device)

    def set_done_samples(self, done_samples: int) -> None:
        self.done_samples = done_samples


class SampleIndexGenerator:
    """Noise of given global sample indices, drawn as ``determ-indiv`` does.

    Row ``j`` of every draw comes from a CPU generator seeded
    ``indices[j] + num_samples * seed``, the seed of sample ``indices[j]``
    in a :class:`DeterministicIndividualGenerator` of ``num_samples``: a
    batch of any indices reproduces those samples of a ``determ-indiv``
    run exactly. Used by evaluation loops, whose data are sample indices.
    """

    def __init__(self, indices, num_samples: int, seed: int = 0):
        indices = [int(i) for i in indices]
        if indices and not 0 <= min(indices) <= max(indices) < num_samples:
            raise ValueError(f'sample indices must lie in [0, {num_samples}'
                             f'), got {min(indices)}..{max(indices)}')
        self.rngs = [torch.Generator().manual_seed(i + num_samples * seed)
                     for i in indices]

    def randn(self, *size, dtype=torch.float32, device='cpu'):
        if size[0] != len(self.rngs):
            raise ValueError(f'asked for {size[0]} rows, have '
                             f'{len(self.rngs)} sample indices')
        rows = [torch.randn(1, *size[1:], generator=rng, dtype=dtype)
                for rng in self.rngs]
        return torch.cat(rows).to(device)

    def randn_like(self, tensor: torch.Tensor) -> torch.Tensor:
        return self.randn(*tensor.shape, dtype=tensor.dtype,
                          device=tensor.device)

    def set_done_samples(self, done_samples: int) -> None:
        """Nothing to do: the indices are given."""


class FixedNoiseGenerator:
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

    def set_done_samples(self, done_samples: int) -> None:
        """Nothing to do: the noise is given."""


def build_generator(name: str, num_samples: int = 0, seed: int = 0):
    """Build the generator called ``name`` (one of :data:`GENERATOR_NAMES`)."""
    if name == 'dummy':
        return DummyGenerator()
    if name == 'determ':
        return DeterministicGenerator(num_samples, seed)
    if name == 'determ-indiv':
        return DeterministicIndividualGenerator(num_samples, seed)
    raise ValueError(f'unknown generator {name!r}; choose one of '
                     f'{", ".join(GENERATOR_NAMES)}')
