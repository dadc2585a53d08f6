"""Generation: the Karras noise grid, the single steps and the samplers
over a denoiser, and the noise generators that make samples reproducible."""
from .karras_grid import karras_sigma, karras_sigmas
from .noise import (GENERATOR_NAMES, DeterministicGenerator,
                    DeterministicIndividualGenerator, DummyGenerator,
                    FixedNoiseGenerator, NoiseGenerator, build_generator)
from .samplers import (SAMPLERS, get_sampler, progress_iter, sample_euler,
                       sample_heun, sample_multistep, sample_onestep,
                       sampler_sigmas, validate_ts)
from .steps import heun_step, multistep_renoise, ode_derivative

__all__ = [
    'GENERATOR_NAMES', 'NoiseGenerator', 'DummyGenerator',
    'DeterministicGenerator', 'DeterministicIndividualGenerator',
    'FixedNoiseGenerator', 'build_generator', 'karras_sigma',
    'karras_sigmas', 'SAMPLERS', 'get_sampler', 'progress_iter',
    'sample_onestep', 'sample_multistep', 'sample_heun', 'sample_euler',
    'sampler_sigmas', 'validate_ts', 'ode_derivative', 'heun_step',
    'multistep_renoise'
]
