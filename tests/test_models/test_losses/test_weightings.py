import pytest
import torch

from mmcm.models.losses import WEIGHTING_NAMES, get_weighting

SIGMAS = torch.tensor([0.5, 1.0, 2.0])


@pytest.mark.parametrize('name, expected', [
    ('uniform', [1.0, 1.0, 1.0]),
    ('snr', [4.0, 1.0, 0.25]),  # sigma^-2
    ('snr+1', [5.0, 2.0, 1.25]),
    ('karras', [8.0, 5.0, 4.25]),  # sigma^-2 + 0.5^-2
    ('truncated-snr', [4.0, 1.0, 1.0]),  # max(sigma^-2, 1)
])
def test_weightings_hand_values(name, expected):
    weights = get_weighting(name, SIGMAS, sigma_data=0.5)
    assert weights.shape == SIGMAS.shape
    assert torch.allclose(weights, torch.tensor(expected))


def test_karras_is_edm_lambda():
    """(sigma^2 + sigma_data^2) / (sigma sigma_data)^2, Karras et al."""
    sigma, sigma_data = torch.tensor([0.002, 0.3, 80.0]), 1.0
    expected = (sigma**2 + sigma_data**2) / (sigma * sigma_data)**2
    weights = get_weighting('karras', sigma, sigma_data)
    assert torch.allclose(weights, expected, rtol=1e-6)
    assert weights[1].item() == pytest.approx(1 / 0.09 + 1, rel=1e-6)


def test_unknown_weighting_lists_the_names():
    with pytest.raises(ValueError) as error:
        get_weighting('lognormal', SIGMAS)
    for name in WEIGHTING_NAMES:
        assert name in str(error.value)
