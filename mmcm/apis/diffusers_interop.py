"""Convert ADM UNets to diffusers' ``UNet2DModel`` and back.

The parameter correspondence is the one diffusers documents for OpenAI's
consistency-model checkpoints (its ``convert_consistency_to_diffusers``):
residual blocks map ``in_layers.0/2, emb_layers.1, out_layers.0/3,
skip_connection`` to ``norm1, conv1, time_emb_proj, norm2, conv2,
conv_shortcut``; attention splits the 1x1 ``qkv`` convolution into
``to_q/to_k/to_v`` linears (``(three, heads, head_dim)`` channel order) and
``proj_out`` into ``to_out.0``; resampling residual blocks become
``downsamplers.0`` / ``upsamplers.0``.
"""
import os.path as osp
from typing import Dict, Iterator, List, Tuple

import torch

from mmcm.registry import MODELS

RESNET_PARAMS = (('in_layers.0', 'norm1'), ('in_layers.2', 'conv1'),
                 ('emb_layers.1', 'time_emb_proj'), ('out_layers.0', 'norm2'),
                 ('out_layers.3', 'conv2'),
                 ('skip_connection', 'conv_shortcut'))
TOP_LEVEL = (('time_embed.0', 'time_embedding.linear_1'),
             ('time_embed.2', 'time_embedding.linear_2'),
             ('label_emb', 'class_embedding'),
             ('input_blocks.0.0', 'conv_in'), ('out.0', 'conv_norm_out'),
             ('out.2', 'conv_out'))


def check_convertible(unet) -> None:
    """Raise for ADM settings ``UNet2DModel`` cannot express."""
    problems = []
    if not unet.resblock_updown:
        problems.append('resblock_updown=False')
    if unet.channel_mult[0] != 1:
        problems.append('channel_mult[0] != 1')
    if unet._attn_kwargs['num_head_channels'] == -1:
        problems.append('num_head_channels=-1 (a fixed head count)')
    if unet.num_heads_upsample != unet.num_heads:
        problems.append('num_heads_upsample != num_heads')
    if hasattr(unet, 'diffusion_out') or any(
            getattr(m, 'pixel_norm', False) for m in unet.modules()):
        problems.append('a diffusion head or pixel_norm')
    if problems:
        raise ValueError('diffusers UNet2DModel cannot express this UNet: '
                         + ', '.join(problems))


def diffusers_unet_config(unet) -> dict:
    """The ``UNet2DModel`` config of an :class:`ADMUNet`."""
    check_convertible(unet)
    attention = [2**level in unet._attention_ds
                 for level in range(len(unet.channel_mult))]
    down = ['AttnDownBlock2D' if a else 'ResnetDownsampleBlock2D'
            for a in attention]
    up = ['AttnUpBlock2D' if a else 'ResnetUpsampleBlock2D'
          for a in reversed(attention)]
    first = unet.input_blocks[1][0]
    return dict(
        sample_size=unet.image_size,
        in_channels=unet.in_channels,
        out_channels=unet.out_channels,
        layers_per_block=unet._num_res_blocks,
        num_class_embeds=unet.num_classes,
        block_out_channels=[int(m * unet.model_channels)
                            for m in unet.channel_mult],
        attention_head_dim=unet._attn_kwargs['num_head_channels'],
        down_block_types=down,
        up_block_types=up,
        downsample_type='resnet',
        upsample_type='resnet',
        # GroupNorm before the middle attention too (diffusers drops it for
        # scale-shift blocks unless told).
        attn_norm_num_groups=32,
        resnet_time_scale_shift=('scale_shift'
                                 if first.use_scale_shift_norm else
                                 'default'),
        dropout=first.out_layers[2].p)


def adm_unet_config(config: dict) -> dict:
    """The :class:`ADMUNet` config of a ``UNet2DModel`` config."""
    channels = list(config['block_out_channels'])
    base = channels[0]
    down = list(config['down_block_types'])
    size = config['sample_size']
    return dict(
        type='ADMUNet',
        image_size=size,
        in_channels=config['in_channels'],
        out_channels=config['out_channels'],
        model_channels=base,
        num_res_blocks=config['layers_per_block'],
        attention_resolutions=tuple(size // 2**level
                                    for level, kind in enumerate(down)
                                    if kind.startswith('Attn')),
        channel_mult=tuple(c // base if c % base == 0 else c / base
                           for c in channels),
        num_classes=config.get('num_class_embeds'),
        num_head_channels=config['attention_head_dim'],
        use_scale_shift_norm=(config['resnet_time_scale_shift'] ==
                              'scale_shift'),
        resblock_updown=True,
        dropout=config.get('dropout', 0.0))


def module_pairs(unet) -> Iterator[Tuple[str, str, str]]:
    """``(adm_prefix, diffusers_prefix, kind)`` for every block."""
    levels, blocks = len(unet.channel_mult), unet._num_res_blocks
    k = 1
    for level in range(levels):
        for j in range(blocks):
            yield from _block(unet.input_blocks[k], f'input_blocks.{k}',
                              f'down_blocks.{level}', j)
            k += 1
        if level != levels - 1:
            yield (f'input_blocks.{k}.0',
                   f'down_blocks.{level}.downsamplers.0', 'resnet')
            k += 1
    yield 'middle_block.0', 'mid_block.resnets.0', 'resnet'
    yield 'middle_block.1', 'mid_block.attentions.0', 'attention'
    yield 'middle_block.2', 'mid_block.resnets.1', 'resnet'
    k = 0
    for up in range(levels):
        for j in range(blocks + 1):
            block = unet.output_blocks[k]
            yield from _block(block, f'output_blocks.{k}',
                              f'up_blocks.{up}', j)
            if j == blocks and up != levels - 1:
                yield (f'output_blocks.{k}.{len(block) - 1}',
                       f'up_blocks.{up}.upsamplers.0', 'resnet')
            k += 1


def _block(block, adm: str, diffusers: str, j: int):
    yield f'{adm}.0', f'{diffusers}.resnets.{j}', 'resnet'
    if len(block) > 1 and type(block[1]).__name__ == 'AttentionBlock':
        yield f'{adm}.1', f'{diffusers}.attentions.{j}', 'attention'


def one_to_one_pairs(unet) -> Iterator[Tuple[str, str]]:
    """``(adm_prefix, diffusers_prefix)`` of every layer whose parameters
    keep their shapes (all but the attention projections)."""
    yield from TOP_LEVEL
    for adm, diff, kind in module_pairs(unet):
        if kind == 'resnet':
            for a, d in RESNET_PARAMS:
                yield f'{adm}.{a}', f'{diff}.{d}'
        else:
            yield f'{adm}.norm', f'{diff}.group_norm'


def attention_pairs(unet) -> List[Tuple[str, str]]:
    """``(adm_prefix, diffusers_prefix)`` of every attention block."""
    return [(adm, diff) for adm, diff, kind in module_pairs(unet)
            if kind == 'attention']


def to_diffusers_state_dict(unet, state: Dict[str, torch.Tensor]
                            ) -> Dict[str, torch.Tensor]:
    """Official / ADM parameter names and shapes to ``UNet2DModel``'s."""
    out = _converted(unet, state, to_diffusers=True)
    unused = set(state) - _consumed(unet, state)
    if unused:
        raise ValueError(f'parameters without a diffusers name: '
                         f'{sorted(unused)[:5]}')
    return out


def from_diffusers_state_dict(unet, state: Dict[str, torch.Tensor]
                              ) -> Dict[str, torch.Tensor]:
    """``UNet2DModel`` parameters to ADM / official names and shapes."""
    return _converted(unet, state, to_diffusers=False)


def _converted(unet, state: Dict[str, torch.Tensor],
               to_diffusers: bool) -> Dict[str, torch.Tensor]:
    """``state`` renamed (and the attention projections reshaped) from ADM
    to diffusers or back."""
    out = {}
    for adm, diff in one_to_one_pairs(unet):
        source, target = (adm, diff) if to_diffusers else (diff, adm)
        _copy_params(state, out, source, target)
    convert = _split_attention if to_diffusers else _join_attention
    for adm, diff in attention_pairs(unet):
        for suffix in ('weight', 'bias'):
            convert(state, out, adm, diff, suffix)
    return out


def _split_attention(state, out, adm: str, diff: str, suffix: str) -> None:
    """ADM's fused 1x1 ``qkv`` and ``proj_out`` as diffusers' linear
    ``to_q``, ``to_k``, ``to_v`` and ``to_out.0``."""
    q, k, v = state[f'{adm}.qkv.{suffix}'].chunk(3, dim=0)
    for name, value in zip(('to_q', 'to_k', 'to_v'), (q, k, v)):
        out[f'{diff}.{name}.{suffix}'] = _squeeze(value)
    out[f'{diff}.to_out.0.{suffix}'] = _squeeze(
        state[f'{adm}.proj_out.{suffix}'])


def _join_attention(state, out, adm: str, diff: str, suffix: str) -> None:
    """The inverse of :func:`_split_attention`."""
    parts = [state[f'{diff}.{n}.{suffix}'] for n in ('to_q', 'to_k', 'to_v')]
    out[f'{adm}.qkv.{suffix}'] = _unsqueeze(torch.cat(parts))
    out[f'{adm}.proj_out.{suffix}'] = _unsqueeze(
        state[f'{diff}.to_out.0.{suffix}'])


def _copy_params(src, dst, src_prefix: str, dst_prefix: str) -> None:
    for suffix in ('weight', 'bias'):
        key = f'{src_prefix}.{suffix}'
        if key in src:
            dst[f'{dst_prefix}.{suffix}'] = src[key]


def _squeeze(weight: torch.Tensor) -> torch.Tensor:
    """A 1x1 convolution's weight as a linear layer's."""
    return weight.reshape(weight.shape[:2]) if weight.ndim == 4 else weight


def _unsqueeze(weight: torch.Tensor) -> torch.Tensor:
    return weight[..., None, None] if weight.ndim == 2 else weight


def _consumed(unet, state) -> set:
    prefixes = [adm for adm, _ in TOP_LEVEL] + [
        adm for adm, _, _ in module_pairs(unet)]
    return {k for k in state if any(k.startswith(p + '.') for p in prefixes)}


def export_to_diffusers(model, out_dir: str,
                        steps: int = None) -> str:
    """Save ``model`` as a diffusers ``ConsistencyModelPipeline`` folder.

    ``unet/`` holds the ``UNet2DModel`` (float32 weights), ``scheduler/``
    a ``CMStochasticIterativeScheduler`` with the model's noise levels and
    ``steps`` (default: the sampling config's) training steps, the grid
    that diffusers' ``timesteps`` index.
    """
    from diffusers import (CMStochasticIterativeScheduler,
                           ConsistencyModelPipeline, UNet2DModel)
    p = model.parameterisation
    if type(p).__name__ != 'ConsistencyParameterisation':
        raise ValueError(f'diffusers\' consistency pipeline applies the '
                         f'boundary-condition scalings; this model uses '
                         f'{type(p).__name__}')
    unet = model.unet
    state = {k: v.float() for k, v in unet.state_dict().items()}
    target = UNet2DModel(**diffusers_unet_config(unet))
    target.load_state_dict(to_diffusers_state_dict(unet, state), strict=True)
    scheduler = CMStochasticIterativeScheduler(
        num_train_timesteps=int(steps or model.sampling_cfg['steps']),
        sigma_min=p.sigma_min, sigma_max=p.sigma_max,
        sigma_data=p.sigma_data, rho=p.rho,
        clip_denoised=bool(model.sampling_cfg['clip_denoised']))
    ConsistencyModelPipeline(unet=target, scheduler=scheduler).save_pretrained(
        out_dir)
    return out_dir


def import_from_diffusers(path: str) -> Tuple[dict, Dict[str, torch.Tensor]]:
    """``(adm_unet_cfg, state_dict)`` of a diffusers ``UNet2DModel`` folder
    (a pipeline folder with ``unet/``, or the UNet folder itself); the
    state dict has official names and loads strictly into the config."""
    from diffusers import UNet2DModel
    subfolder = 'unet' if osp.isdir(osp.join(path, 'unet')) else None
    source = UNet2DModel.from_pretrained(path, subfolder=subfolder)
    cfg = adm_unet_config(dict(source.config))
    with torch.device('meta'):
        skeleton = MODELS.build(dict(cfg))
    return cfg, from_diffusers_state_dict(skeleton, source.state_dict())
