"""The MLP-Mixer network: shapes, conditioning, patch layout, training."""
import pytest
import torch

from mmcm.models import MLPMixer
from mmcm.registry import MODELS

from ..fixed_batch import train_on_batch, uint8_batch


def mixer(**kwargs):
    torch.manual_seed(0)
    cfg = dict(image_size=8, patch_size=2, hidden_dim=32, num_blocks=2,
               num_classes=3)
    cfg.update(kwargs)
    return MLPMixer(**cfg)


def randomise(net):
    with torch.no_grad():
        for param in net.parameters():
            if not param.any():
                param.normal_(0, 0.05)
    return net


def test_starts_as_zero_output_then_conditions_on_time_and_class():
    net = mixer()
    x, t, y = torch.randn(2, 3, 8, 8), torch.tensor([0.5, 3.0]), \
        torch.tensor([0, 1])
    assert torch.equal(net(x, t, y), torch.zeros(2, 3, 8, 8))
    randomise(net)
    out = net(x, t, y)
    assert out.shape == (2, 3, 8, 8)
    assert not torch.allclose(out, net(x, t.flip(0), y))
    assert not torch.allclose(out, net(x, t, y.flip(0)))
    with pytest.raises(ValueError, match='class labels'):
        net(x, t)


def test_unpatchify_inverts_the_patch_layout():
    net = mixer(image_size=6, patch_size=3, out_channels=2)
    image = torch.arange(2 * 2 * 6 * 6, dtype=torch.float32).reshape(
        2, 2, 6, 6)
    # Token (i, j) holds pixels (3i + a, 3j + b) of every channel c, in
    # (a, b, c) order.
    tokens = image.reshape(2, 2, 2, 3, 2, 3).permute(0, 2, 4, 3, 5, 1)
    assert torch.equal(net.unpatchify(tokens.reshape(2, 4, 18)), image)


def test_pixels_depend_on_other_patches_through_token_mixing():
    net = randomise(mixer(num_classes=None))
    x = torch.randn(1, 3, 8, 8)
    t = torch.tensor([1.0])
    x2 = x.clone()
    x2[..., :2, :2] += 1.0  # change the first patch only
    diff = (net(x2, t) - net(x, t)).abs()
    assert diff[..., 4:, 4:].max() > 0  # a far patch changed too


def test_bad_patch_size():
    with pytest.raises(ValueError, match='does not divide'):
        mixer(image_size=8, patch_size=3)


def test_trains_a_few_consistency_steps():
    torch.manual_seed(0)
    model = MODELS.build(dict(
        type='ConsistencyModel',
        network=dict(type='MLPMixer', image_size=8, patch_size=2,
                     hidden_dim=32, num_blocks=2, num_classes=3),
        training=dict(
            objective=dict(type='ConsistencyObjective', distance='l2'),
            curriculum=dict(
                type='ConsistencyCurriculum',
                scales=dict(type='FixedScales', scales=10),
                target_ema=dict(type='FixedTargetEMA', decay=0.0)),
            averages=dict(ema_decays=(0.9, ))))).train()
    losses = train_on_batch(model, uint8_batch((8, 3, 8, 8), 3), 15,
                            lr=3e-3, noise_seed=5)
    assert losses[-1] < 0.7 * losses[0], losses
    samples = model.sample(2, labels=torch.tensor([0, 2]))
    assert samples.shape == (2, 3, 8, 8) and samples.abs().max() <= 1


def test_convert_torso_to_bfloat16_runs():
    net = randomise(mixer()).convert_torso(torch.bfloat16)
    out = net(torch.randn(2, 3, 8, 8), torch.tensor([1.0, 2.0]),
              torch.tensor([0, 1]))
    assert out.dtype == torch.float32 and torch.isfinite(out).all()
