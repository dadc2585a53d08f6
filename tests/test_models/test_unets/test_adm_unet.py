import math

import pytest
import torch
from mmengine import Config

from mmcm.models.unets import ADMUNet
from mmcm.models.unets.blocks import AttentionBlock
from mmcm.registry import MODELS

from ...conftest import REPO

IMAGENET = f'{REPO}/configs/_base_/models/cm_adm-unet_imagenet-64x64.py'
LSUN = f'{REPO}/configs/_base_/models/cm_adm-unet_lsun-256x256.py'

# Names and shapes of OpenAI's released ImageNet-64 checkpoints.
IMAGENET_OFFICIAL_SHAPES = {
    'time_embed.0.weight': (768, 192),
    'time_embed.2.weight': (768, 768),
    'label_emb.weight': (1000, 768),
    'input_blocks.0.0.weight': (192, 3, 3, 3),
    'input_blocks.1.0.in_layers.0.weight': (192, ),
    'input_blocks.1.0.emb_layers.1.weight': (384, 768),
    'input_blocks.1.0.out_layers.3.weight': (192, 192, 3, 3),
    'input_blocks.4.0.in_layers.2.weight': (192, 192, 3, 3),
    'input_blocks.5.0.skip_connection.weight': (384, 192, 1, 1),
    'input_blocks.5.1.norm.weight': (384, ),
    'input_blocks.5.1.qkv.weight': (1152, 384, 1, 1),
    'input_blocks.5.1.proj_out.weight': (384, 384, 1, 1),
    'middle_block.1.qkv.weight': (2304, 768, 1, 1),
    'output_blocks.0.0.in_layers.0.weight': (1536, ),
    'output_blocks.3.2.in_layers.2.weight': (768, 768, 3, 3),
    'out.0.weight': (192, ),
    'out.2.weight': (3, 192, 3, 3),
}


def meta_unet(config_path):
    with torch.device('meta'):
        return MODELS.build(Config.fromfile(config_path).model.network)


def test_imagenet64_official_names_shapes_and_size():
    state = meta_unet(IMAGENET).state_dict()
    for key, shape in IMAGENET_OFFICIAL_SHAPES.items():
        assert tuple(state[key].shape) == shape, key
    assert len(state) == 541
    assert sum(v.numel() for v in state.values()) == 295_899_267


def test_lsun256_official_size():
    unet = meta_unet(LSUN)
    assert unet.channel_mult == (1, 1, 2, 2, 4, 4)
    assert 'label_emb.weight' not in unet.state_dict()
    assert len(unet.state_dict()) == 566
    assert sum(p.numel() for p in unet.parameters()) == 526_304_771
    # no scale-shift norm: the embedding projects to out_channels only
    assert unet.state_dict()['input_blocks.1.0.emb_layers.1.weight'].shape \
        == (256, 1024)


def reference_attention(block, x, heads, layout):
    """Attention written out with einsum for a given qkv channel layout."""
    b, c, h, w = x.shape
    qkv = block.qkv(block.norm(x)).reshape(b, 3 * c, h * w)
    d = c // heads
    if layout == 'three-heads-dim':
        q, k, v = qkv.reshape(b, 3, heads, d, h * w).unbind(1)
    else:  # the legacy (heads, three, dim) order
        q, k, v = qkv.reshape(b, heads, 3, d, h * w).unbind(2)
    weight = torch.einsum('bhdt,bhds->bhts', q, k) / math.sqrt(d)
    out = torch.einsum('bhts,bhds->bhdt', weight.softmax(-1), v)
    return x + block.proj_out(out.reshape(b, c, h, w))


def test_attention_reads_qkv_in_flash_layout():
    torch.manual_seed(0)
    block = AttentionBlock(64, num_head_channels=32)
    torch.nn.init.normal_(block.proj_out.weight, std=0.1)
    x = torch.randn(2, 64, 4, 4)
    out = block(x)
    flash = reference_attention(block, x, 2, 'three-heads-dim')
    legacy = reference_attention(block, x, 2, 'heads-three-dim')
    assert torch.allclose(out, flash, atol=1e-5)
    assert not torch.allclose(out, legacy, atol=1e-3)


def tiny_unet(**kwargs):
    torch.manual_seed(0)
    args = dict(image_size=16, model_channels=32, num_res_blocks=1,
                attention_resolutions=(8, ), channel_mult=(1, 2),
                num_classes=4, num_head_channels=16,
                use_scale_shift_norm=True, resblock_updown=True)
    args.update(kwargs)
    unet = ADMUNet(**args)
    with torch.no_grad():
        for p in unet.parameters():
            if not p.any():
                p.normal_(0, 0.05)
    return unet


@pytest.mark.parametrize('dtype', [torch.bfloat16, torch.float16])
def test_reduced_precision_torso_matches_fp32(dtype):
    unet = tiny_unet().eval()
    x, t, y = torch.randn(2, 3, 16, 16), torch.tensor([1., 300.]), \
        torch.tensor([0, 3])
    with torch.no_grad():
        ref = unet(x, t, y)
        low = unet.convert_torso(dtype)(x, t, y)
    assert low.dtype == torch.float32
    assert unet.input_blocks[0][0].weight.dtype == dtype
    assert unet.time_embed[0].weight.dtype == torch.float32
    assert (low - ref).abs().max() < 0.05 * ref.abs().max()


def test_gradient_checkpointing_keeps_gradients():
    x, t = torch.randn(2, 3, 16, 16), torch.tensor([1., 2.])
    y = torch.tensor([1, 2])
    grads = []
    for use_checkpoint in (False, True):
        unet = tiny_unet(use_checkpoint=use_checkpoint, dropout=0.0).train()
        unet(x, t, y).square().mean().backward()
        grads.append(torch.cat([p.grad.flatten() for p in unet.parameters()]))
    assert torch.allclose(grads[0], grads[1], atol=1e-6)


def saved_activation_bytes(unet, x, t, y) -> int:
    """Bytes autograd keeps for the backward pass of one forward."""
    total = [0]

    def pack(tensor):
        total[0] += tensor.numel() * tensor.element_size()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        unet(x, t, y).square().mean().backward()
    return total[0]


def test_gradient_checkpointing_keeps_fewer_activations():
    x, t = torch.randn(4, 3, 16, 16), torch.tensor([1., 2., 3., 4.])
    y = torch.tensor([1, 2, 1, 2])
    saved = [saved_activation_bytes(
        tiny_unet(use_checkpoint=flag, dropout=0.0).train(), x, t, y)
        for flag in (False, True)]
    assert saved[1] < 0.5 * saved[0]


def test_labels_required_iff_conditional():
    unet = tiny_unet()
    x, t = torch.randn(1, 3, 16, 16), torch.tensor([1.])
    with pytest.raises(ValueError, match='class-conditional'):
        unet(x, t)
    with pytest.raises(ValueError, match='class-conditional'):
        tiny_unet(num_classes=None)(x, t, torch.tensor([0]))


def test_channel_mult_default_and_unsupported_size():
    assert tiny_unet(image_size=64, channel_mult=None).channel_mult == \
        (1, 2, 3, 4)
    with pytest.raises(ValueError, match='channel_mult'):
        ADMUNet(image_size=48)


def test_resampling_variants_keep_resolution():
    for updown in (False, True):
        unet = tiny_unet(resblock_updown=updown, num_classes=None)
        out = unet(torch.randn(1, 3, 16, 16), torch.tensor([5.]))
        assert out.shape == (1, 3, 16, 16)
        assert out.std() > 0
