from .generators import (GENERATOR_NAMES, DeterministicGenerator,
                         DeterministicIndividualGenerator, DummyGenerator,
                         FixedNoiseGenerator,
                         SampleIndexGenerator, build_generator)
from .karras_grid import karras_sigma, karras_sigmas
from .samplers import (SAMPLERS, get_sampler, sample_euler, sample_heun,
                       sample_multistep, sample_onestep, validate_ts)
from .curricula import (AdaptiveTargetEMA, ConsistencyCurriculum,
                        ExponentialScales,
                        FixedScales, FixedTargetEMA, ProgressiveScales)

__all__ = [
    'GENERATOR_NAMES', 'DummyGenerator', 'DeterministicGenerator',
    'DeterministicIndividualGenerator', 'SampleIndexGenerator',
    'FixedNoiseGenerator',
    'build_generator', 'karras_sigma',
    'karras_sigmas', 'SAMPLERS', 'get_sampler', 'sample_onestep',
    'sample_multistep', 'sample_heun', 'sample_euler', 'validate_ts',
    'FixedScales', 'ProgressiveScales', 'ExponentialScales',
    'FixedTargetEMA', 'AdaptiveTargetEMA',
    'ConsistencyCurriculum'
]
