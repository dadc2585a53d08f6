"""Building blocks of the ADM UNet (Dhariwal & Nichol, 2021).

Module and attribute names mirror the parameter names of OpenAI's released
consistency-model checkpoints, so a ``state_dict`` maps one to one.
"""
import math

import torch
import torch.nn.functional as F
from torch import nn

from mmcm.utils.jvp import in_forward_mode
from .attention import attention
from .group_norm import group_norm_in_forward_mode


class GroupNorm32(nn.GroupNorm):
    """GroupNorm with 32 groups that normalises in float32 (or float64).

    On the CPU, half-precision inputs with float32 parameters go straight to
    the mixed-dtype kernel, which accumulates in float32 itself: the same
    values (to the last bit but for rare ties) without two casts, 2-10x
    faster under bf16 autocast. Under :func:`mmcm.utils.jvp.float32_jvp`
    the tangent comes from ``group_norm.ForwardModeGroupNorm``.
    """

    def __init__(self, channels: int):
        super().__init__(32, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self._mixed_dtype_kernel(x):
            return super().forward(x)
        compute = torch.promote_types(x.dtype, torch.float32)
        if in_forward_mode():  # a JVP: the tangent written out
            return group_norm_in_forward_mode(
                x.to(compute), self.num_groups, self.weight, self.bias,
                self.eps).type(x.dtype)
        return super().forward(x.to(compute)).type(x.dtype)

    def _mixed_dtype_kernel(self, x: torch.Tensor) -> bool:
        return (x.device.type == 'cpu'
                and x.dtype in (torch.bfloat16, torch.float16)
                and self.weight.dtype == torch.float32)


def zero_module(module: nn.Module) -> nn.Module:
    """Zero the parameters of ``module`` (output layers start as identity)."""
    for param in module.parameters():
        param.detach().zero_()
    return module


def timestep_embedding(timesteps: torch.Tensor, dim: int,
                       max_period: float = 10000.0) -> torch.Tensor:
    """Sinusoidal embedding ``[cos(t w_i), sin(t w_i)]`` of (fractional) t.

    The frequencies are ``w_i = max_period^(-i / (dim / 2))`` as in the
    Transformer position encoding used by ADM.
    """
    half = dim // 2
    exponent = torch.arange(half, dtype=torch.float32, device=timesteps.device)
    freqs = torch.exp(-math.log(max_period) * exponent / half)
    dtype = torch.promote_types(timesteps.dtype, torch.float32)
    args = timesteps[:, None].to(dtype) * freqs[None]
    embedding = torch.cat([torch.cos(args), torch.sin(args)], dim=-1)
    if dim % 2:
        embedding = F.pad(embedding, (0, 1))
    return embedding


def pixel_norm(x: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Normalise each vector over dim 1 to unit RMS (Karras et al. 2018)."""
    return x * torch.rsqrt(x.pow(2).mean(dim=1, keepdim=True) + eps)


class TimestepBlock(nn.Module):
    """A module whose ``forward`` takes the time embedding as well."""


class TimestepEmbedSequential(nn.Sequential):
    """Sequential container passing the embedding to the blocks that use it."""

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        for layer in self:
            x = layer(x, emb) if isinstance(layer, TimestepBlock) else layer(x)
        return x


class Upsample(nn.Module):
    """Nearest-neighbour 2x upsampling, optionally followed by a 3x3 conv."""

    def __init__(self, channels: int, use_conv: bool, out_channels=None):
        super().__init__()
        self.channels = channels
        if use_conv:
            self.conv = nn.Conv2d(channels, out_channels or channels, 3,
                                  padding=1)
        self.use_conv = use_conv

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, scale_factor=2, mode='nearest')
        return self.conv(x) if self.use_conv else x


class Downsample(nn.Module):
    """2x downsampling by a strided 3x3 conv or by average pooling."""

    def __init__(self, channels: int, use_conv: bool, out_channels=None):
        super().__init__()
        out_channels = out_channels or channels
        if use_conv:
            self.op = nn.Conv2d(channels, out_channels, 3, stride=2, padding=1)
        else:
            if out_channels != channels:
                raise ValueError('average-pool downsampling keeps channels')
            self.op = nn.AvgPool2d(kernel_size=2, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.op(x)


class ResBlock(TimestepBlock):
    """Residual block conditioned on the time embedding.

    With ``use_scale_shift_norm`` the embedding modulates the second
    normalisation as ``norm(h) * (1 + scale) + shift`` (FiLM, adaptive
    GroupNorm); otherwise it is added to the features. ``pixel_norm``
    normalises ``scale`` and ``shift`` to unit RMS over channels, the
    adaptive normalisation sCM uses to keep time conditioning stable
    (Lu & Song 2024, Section 4.1). ``up``/``down`` resample inside the block.
    """

    def __init__(self, channels: int, emb_channels: int, dropout: float,
                 out_channels=None, use_scale_shift_norm: bool = False,
                 up: bool = False, down: bool = False,
                 use_checkpoint: bool = False, pixel_norm: bool = False):
        super().__init__()
        self.out_channels = out_channels or channels
        self.use_scale_shift_norm = use_scale_shift_norm
        self.pixel_norm = pixel_norm
        self.use_checkpoint = use_checkpoint
        self.in_layers = nn.Sequential(
            GroupNorm32(channels), nn.SiLU(),
            nn.Conv2d(channels, self.out_channels, 3, padding=1))
        self.updown = up or down
        if up:
            self.h_upd, self.x_upd = Upsample(channels, False), Upsample(
                channels, False)
        elif down:
            self.h_upd, self.x_upd = Downsample(channels, False), Downsample(
                channels, False)
        else:
            self.h_upd = self.x_upd = nn.Identity()
        emb_out = 2 * self.out_channels if use_scale_shift_norm else \
            self.out_channels
        self.emb_layers = nn.Sequential(
            nn.SiLU(), nn.Linear(emb_channels, emb_out))
        self.out_layers = nn.Sequential(
            GroupNorm32(self.out_channels), nn.SiLU(), nn.Dropout(p=dropout),
            zero_module(
                nn.Conv2d(self.out_channels, self.out_channels, 3,
                          padding=1)))
        if self.out_channels == channels:
            self.skip_connection = nn.Identity()
        else:
            self.skip_connection = nn.Conv2d(channels, self.out_channels, 1)

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        if self.use_checkpoint and self.training and torch.is_grad_enabled():
            return torch.utils.checkpoint.checkpoint(
                self._forward, x, emb, use_reentrant=False)
        return self._forward(x, emb)

    def _forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        if self.updown:
            h = self.in_layers[:-1](x)
            h = self.in_layers[-1](self.h_upd(h))
            x = self.x_upd(x)
        else:
            h = self.in_layers(x)
        emb_out = self.emb_layers(emb).type(h.dtype)[..., None, None]
        if self.use_scale_shift_norm:
            scale, shift = emb_out.chunk(2, dim=1)
            if self.pixel_norm:
                scale, shift = pixel_norm(scale), pixel_norm(shift)
            h = self.out_layers[0](h) * (1 + scale) + shift
            h = self.out_layers[1:](h)
        else:
            h = self.out_layers(h + emb_out)
        return self.skip_connection(x) + h


class AttentionBlock(nn.Module):
    """Spatial self-attention through ``scaled_dot_product_attention``.

    The 1x1 ``qkv`` convolution's output channels are laid out as
    ``(three, heads, head_dim)``, the order of the flash-attention kernels the
    released checkpoints were trained with. ``qkv`` and ``proj_out`` keep
    their convolution parameters (so checkpoints load unchanged) but run as
    matrix products over the tokens: the same arithmetic, without the
    convolution kernels' overhead for 1x1 filters (a third of the attention
    blocks' time on a CPU).
    """

    def __init__(self, channels: int, num_heads: int = 1,
                 num_head_channels: int = -1, use_checkpoint: bool = False):
        super().__init__()
        if num_head_channels == -1:
            self.num_heads = num_heads
        elif channels % num_head_channels:
            raise ValueError(f'channels {channels} are not divisible by '
                             f'num_head_channels {num_head_channels}')
        else:
            self.num_heads = channels // num_head_channels
        self.use_checkpoint = use_checkpoint
        self.norm = GroupNorm32(channels)
        self.qkv = nn.Conv2d(channels, channels * 3, 1)
        self.proj_out = zero_module(nn.Conv2d(channels, channels, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.use_checkpoint and self.training and torch.is_grad_enabled():
            return torch.utils.checkpoint.checkpoint(
                self._forward, x, use_reentrant=False)
        return self._forward(x)

    @staticmethod
    def _pointwise(conv: nn.Conv2d, tokens: torch.Tensor) -> torch.Tensor:
        """A 1x1 convolution applied to ``(N, tokens, channels)``."""
        return F.linear(tokens, conv.weight.flatten(1), conv.bias)

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, height, width = x.shape
        heads = self.num_heads
        # (b, c, h, w) -> (b, tokens, c): a free view for channels-last x.
        tokens = self.norm(x).flatten(2).transpose(1, 2)
        qkv = self._pointwise(self.qkv, tokens)
        # (b, tokens, three, heads, d) -> three x (b, heads, tokens, d), unit
        # stride along d as SDPA's fused (flash) kernels need.
        q, k, v = qkv.reshape(b, -1, 3, heads, c // heads).permute(
            2, 0, 3, 1, 4).unbind(0)
        h = attention(q, k, v)
        h = self._pointwise(self.proj_out, h.transpose(1, 2).reshape(b, -1, c))
        return x + h.transpose(1, 2).reshape(b, c, height, width)
