import pytest
import torch
import torch.nn.functional as F
from mmengine import Config

from mmcm.models.unets import ADMUNet, MLPMixer
from mmcm.apis import random_unet_state_dict
from ...conftest import TINY_CONFIG


def tiny_unet(seed=0) -> ADMUNet:
    cfg = Config.fromfile(TINY_CONFIG).model.network
    unet = ADMUNet(**{k: v for k, v in cfg.items() if k != 'type'})
    unet.load_state_dict(random_unet_state_dict(cfg, seed=seed))
    return unet.eval()


def inputs(unet, batch=2):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(batch, 3, unet.image_size, unet.image_size,
                    generator=gen)
    t = torch.tensor([0.5, 250.0])[:batch]
    y = (torch.arange(batch) % unet.num_classes
         if unet.num_classes is not None else None)
    return x, t, y


@torch.no_grad()
def test_channels_last_gives_the_same_output_in_nhwc():
    unet = tiny_unet()
    x, t, y = inputs(unet)
    reference = unet(x, t, y)
    seen = []
    conv = unet.input_blocks[1][0].in_layers[-1]
    conv.register_forward_hook(lambda m, i, o: seen.append(o))
    unet.accelerate(channels_last=True)
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
    out = unet(x, t, y)
    assert seen[0].is_contiguous(memory_format=torch.channels_last)
    assert not seen[0].is_contiguous()
    assert out.is_contiguous()
    torch.testing.assert_close(out, reference, atol=1e-5, rtol=1e-5)


@torch.no_grad()
def test_bf16_autocast_runs_the_convolutions_in_bf16():
    unet = tiny_unet()
    x, t, y = inputs(unet)
    reference = unet(x, t, y)
    dtypes = []
    conv = unet.middle_block[0].in_layers[-1]
    conv.register_forward_hook(lambda m, i, o: dtypes.append(o.dtype))
    out = unet.accelerate(autocast='bf16')(x, t, y)
    assert dtypes == [torch.bfloat16]
    assert out.dtype == torch.float32
    assert conv.weight.dtype == torch.float32  # weights untouched
    error = (out - reference).norm() / reference.norm()
    assert 1e-5 < error < 3e-2  # bf16 rounding, not a different network


def test_bad_speed_options_are_refused():
    unet = tiny_unet()
    with pytest.raises(ValueError, match='autocast must be one of'):
        unet.accelerate(autocast='fp8')
    with pytest.raises(ValueError, match='CUDA device'):
        unet.accelerate(cuda_graphs=True)


@torch.no_grad()
def test_mlp_mixer_accepts_the_same_options():
    mixer = MLPMixer(image_size=8, patch_size=2, hidden_dim=32,
                     num_blocks=2, num_classes=3).eval()
    for param in mixer.parameters():
        param.normal_(0, 0.1, generator=torch.Generator().manual_seed(0))
    x, t, y = inputs(mixer)
    reference = mixer(x, t, y)
    out = mixer.accelerate(channels_last=True)(x, t, y)
    torch.testing.assert_close(out, reference, atol=1e-5, rtol=1e-5)
    mixer.accelerate(autocast='bf16')
    assert (mixer(x, t, y) - reference).abs().max() > 0


@torch.no_grad()
def test_compile_keeps_outputs_and_state_dict_keys():
    unet = ADMUNet(image_size=8, model_channels=32, num_res_blocks=1,
                   channel_mult=(1, 2), attention_resolutions=(4, ),
                   num_head_channels=32, use_scale_shift_norm=True).eval()
    for param in unet.parameters():
        param.normal_(0, 0.05, generator=torch.Generator().manual_seed(1))
    x, t, y = inputs(unet)
    reference = unet(x, t, y)
    keys = list(unet.state_dict())
    unet.accelerate(compile=True)
    torch.testing.assert_close(unet(x, t, y), reference, atol=1e-5,
                               rtol=1e-5)
    assert list(unet.state_dict()) == keys
    assert unet._compiled_call_impl is not None


@pytest.mark.parametrize('dtype', [torch.bfloat16, torch.float16])
def test_group_norm_takes_the_mixed_dtype_kernel_on_cpu(dtype):
    from torch.utils._python_dispatch import TorchDispatchMode

    from mmcm.models.unets.blocks import GroupNorm32

    class Ops(TorchDispatchMode):
        seen = []

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            self.seen.append(str(func))
            return func(*args, **(kwargs or {}))

    norm = GroupNorm32(64)
    gen = torch.Generator().manual_seed(0)
    for param in norm.parameters():
        param.data.normal_(generator=gen)
    x = (torch.randn(2, 64, 6, 6, generator=gen) * 3 + 1).to(dtype)
    with torch.no_grad(), Ops():
        out = norm(x)
    assert out.dtype == dtype
    assert not [op for op in Ops.seen if '_to_copy' in op]  # no casts
    with torch.no_grad():
        cast = F.group_norm(x.float(), 32, norm.weight, norm.bias).to(dtype)
    assert (out != cast).float().mean() < 1e-3  # rare last-bit ties
    torch.testing.assert_close(out, cast, atol=2e-3, rtol=1e-2)
