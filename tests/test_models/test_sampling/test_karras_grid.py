import pytest
import torch

from mmcm.models.sampling import karras_sigma, karras_sigmas


def test_three_point_grid_hand_values():
    sigmas = karras_sigmas(3, 0.002, 80.0, 7.0)
    # middle point: ((80^(1/7) + 0.002^(1/7)) / 2)^7 = 2.51522
    assert sigmas.tolist() == pytest.approx([80.0, 2.515219, 0.002, 0.0],
                                            rel=1e-5)


def test_grid_is_descending_and_ends_in_zero():
    sigmas = karras_sigmas(40, 0.002, 80.0)
    assert len(sigmas) == 41 and sigmas[-1] == 0
    assert torch.all(sigmas[:-2] > sigmas[1:-1])
    no_zero = karras_sigmas(40, 0.002, 80.0, append_zero=False)
    assert len(no_zero) == 40


def test_indexed_sigma_matches_grid():
    sigmas = karras_sigmas(40, 0.002, 80.0)
    assert karras_sigma(22, 40, 0.002, 80.0) == pytest.approx(
        sigmas[22].item(), rel=1e-6)
    assert karras_sigma(22, 40, 0.002, 80.0) == pytest.approx(1.382368,
                                                              rel=1e-6)
