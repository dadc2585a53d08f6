import pytest
import torch

from mmcm.models.sampling import (GENERATOR_NAMES, FixedNoiseGenerator,
                                  NoiseGenerator, build_generator)


def _draw(name, num_samples, batch_size, seed=3, calls=2):
    """Per batch: select it, then ``calls`` draws; concatenate per call."""
    generator = build_generator(name, num_samples, seed)
    draws = [[] for _ in range(calls)]
    for start in range(0, num_samples, batch_size):
        size = min(batch_size, num_samples - start)
        generator.select(range(start, start + size))
        for call in range(calls):
            draws[call].append(generator.randn(size, 2, 3))
    return [torch.cat(d) for d in draws]


@pytest.mark.parametrize('name', ['determ', 'determ-indiv'])
def test_deterministic_across_batch_sizes(name):
    whole = _draw(name, 7, 7)
    for batch_size in (1, 3, 5):
        for a, b in zip(whole, _draw(name, 7, batch_size)):
            assert torch.equal(a, b)
    assert not torch.equal(whole[0], whole[1])  # calls draw fresh noise


def test_determ_matches_one_seeded_stream():
    rng = torch.Generator().manual_seed(3)
    first = torch.randn(7, 2, 3, generator=rng)
    second = torch.randn(7, 2, 3, generator=rng)
    draws = _draw('determ', 7, 4)
    assert torch.equal(draws[0], first) and torch.equal(draws[1], second)


def test_determ_indiv_seeds_each_sample():
    draws = _draw('determ-indiv', 4, 2, seed=2, calls=1)
    expected = torch.randn(1, 2, 3,
                           generator=torch.Generator().manual_seed(3 + 4 * 2))
    assert torch.equal(draws[0][3:4], expected)


def test_seed_changes_noise_and_dummy_uses_global_rng():
    assert not torch.equal(_draw('determ', 4, 4, seed=0)[0],
                           _draw('determ', 4, 4, seed=1)[0])
    torch.manual_seed(5)
    a = build_generator('dummy').randn(2, 3)
    torch.manual_seed(5)
    assert torch.equal(a, torch.randn(2, 3))


def test_unknown_generator_is_a_clear_error():
    with pytest.raises(ValueError, match='determ-indiv'):
        build_generator('philox')


@pytest.mark.parametrize('name', ['determ', 'determ-indiv'])
def test_selected_indices_replay_the_rows_of_a_whole_run(name):
    full = build_generator(name, 9, seed=5)
    first = full.randn(9, 2, 3)
    second = full.randn(9, 2, 3)  # a multistep sampler draws again
    picked = build_generator(name, 9, seed=5).select([7, 2, 4])
    torch.testing.assert_close(picked.randn(3, 2, 3), first[[7, 2, 4]],
                               rtol=0, atol=0)
    torch.testing.assert_close(picked.randn(3, 2, 3), second[[7, 2, 4]],
                               rtol=0, atol=0)
    with pytest.raises(ValueError, match='sample indices'):
        build_generator(name, 9).select([9])
    with pytest.raises(ValueError, match='3 sample indices'):
        picked.randn(2, 2, 3)


def test_every_generator_is_a_noise_generator():
    noise = torch.zeros(1, 2)
    generators = [build_generator(name, 3) for name in GENERATOR_NAMES]
    generators.append(FixedNoiseGenerator(noise))
    assert all(isinstance(g, NoiseGenerator) for g in generators)
    dummy = build_generator('dummy')
    assert dummy.select([5, 1]) is dummy  # its noise ignores indices
