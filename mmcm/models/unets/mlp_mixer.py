"""An MLP-Mixer (Tolstikhin et al., 2021) as a consistency-model network.

Images are cut into ``patch_size`` patches, embedded as tokens, mixed by
blocks of a token-mixing MLP (across patches) and a channel-mixing MLP
(across features), and projected back to pixels. The noise level (and the
class) conditions every block through adaptive LayerNorm scale and shift,
as in DiT's adaLN. Same interface as :class:`ADMUNet`:
``forward(x, timesteps, y=None)``.
"""
from typing import Optional

import torch
from torch import nn

from mmcm.registry import MODELS
from .acceleration import Accelerable
from .blocks import timestep_embedding, zero_module


def modulate(x: torch.Tensor, shift: torch.Tensor,
             scale: torch.Tensor) -> torch.Tensor:
    """adaLN: ``x (1 + scale) + shift`` with per-sample ``(N, D)`` terms."""
    return x * (1 + scale[:, None]) + shift[:, None]


class MixerBlock(nn.Module):
    """Token mixing then channel mixing, each pre-normed and gated."""

    def __init__(self, num_tokens: int, dim: int, token_hidden: int,
                 channel_hidden: int, emb_dim: int, dropout: float = 0.0):
        super().__init__()
        self.norm_tokens = nn.LayerNorm(dim, elementwise_affine=False)
        self.token_mlp = nn.Sequential(
            nn.Linear(num_tokens, token_hidden), nn.GELU(),
            nn.Dropout(dropout), nn.Linear(token_hidden, num_tokens))
        self.norm_channels = nn.LayerNorm(dim, elementwise_affine=False)
        self.channel_mlp = nn.Sequential(
            nn.Linear(dim, channel_hidden), nn.GELU(), nn.Dropout(dropout),
            nn.Linear(channel_hidden, dim))
        # shift, scale and gate for each of the two sub-blocks; zero-init so
        # every block starts as the identity.
        self.adaln = zero_module(nn.Linear(emb_dim, 6 * dim))

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        shift1, scale1, gate1, shift2, scale2, gate2 = self.adaln(
            nn.functional.silu(emb)).chunk(6, dim=1)
        h = modulate(self.norm_tokens(x), shift1, scale1)
        h = self.token_mlp(h.transpose(1, 2)).transpose(1, 2)
        x = x + gate1[:, None] * h
        h = modulate(self.norm_channels(x), shift2, scale2)
        return x + gate2[:, None] * self.channel_mlp(h)


@MODELS.register_module()
class MLPMixer(Accelerable, nn.Module):
    """MLP-Mixer network ``F(x, c_noise, y)`` for small images.

    Args:
        image_size: Input resolution in pixels.
        in_channels: Image channels.
        out_channels: Output channels.
        patch_size: Side of the square patches (tokens).
        hidden_dim: Token feature size.
        num_blocks: Mixer blocks.
        token_mlp_ratio: Hidden size of the token MLP per token.
        channel_mlp_ratio: Hidden size of the channel MLP per feature.
        num_classes: Number of classes for a class-conditional model.
        dropout: Dropout inside the MLPs.
    """

    def __init__(self, image_size: int, *, in_channels: int = 3,
                 out_channels: int = 3, patch_size: int = 2,
                 hidden_dim: int = 128,
                 num_blocks: int = 8,
                 token_mlp_ratio: float = 2.0,
                 channel_mlp_ratio: float = 4.0,
                 num_classes: Optional[int] = None,
                 dropout: float = 0.0):
        super().__init__()
        if image_size % patch_size:
            raise ValueError(f'patch_size {patch_size} does not divide '
                             f'image_size {image_size}')
        self.image_size, self.patch_size = image_size, patch_size
        self.in_channels, self.out_channels = in_channels, out_channels
        self.num_classes, self.hidden_dim = num_classes, hidden_dim
        self.dtype = torch.float32
        num_tokens = (image_size // patch_size)**2
        self.patch_embed = nn.Conv2d(in_channels, hidden_dim, patch_size,
                                     stride=patch_size)
        self.pos_embed = nn.Parameter(torch.zeros(1, num_tokens, hidden_dim))
        nn.init.normal_(self.pos_embed, std=0.02)
        self.time_embed = nn.Sequential(
            nn.Linear(hidden_dim, hidden_dim), nn.SiLU(),
            nn.Linear(hidden_dim, hidden_dim))
        if num_classes is not None:
            self.label_emb = nn.Embedding(num_classes, hidden_dim)
        self.blocks = nn.ModuleList(
            MixerBlock(num_tokens, hidden_dim,
                       int(token_mlp_ratio * num_tokens),
                       int(channel_mlp_ratio * hidden_dim), hidden_dim,
                       dropout) for _ in range(num_blocks))
        self.norm_out = nn.LayerNorm(hidden_dim, elementwise_affine=False)
        self.adaln_out = zero_module(nn.Linear(hidden_dim, 2 * hidden_dim))
        self.to_pixels = zero_module(
            nn.Linear(hidden_dim, patch_size**2 * out_channels))

    def convert_torso(self, dtype: torch.dtype) -> 'MLPMixer':
        """Cast the mixer blocks to ``dtype``; embeddings stay float32."""
        self.blocks.to(dtype)
        self.dtype = dtype
        return self

    def forward(self, x: torch.Tensor, timesteps: torch.Tensor,
                y: Optional[torch.Tensor] = None) -> torch.Tensor:
        """``F(x, t)``: images ``(N, C, H, W)``, noise inputs ``(N,)``."""
        if (y is not None) != (self.num_classes is not None):
            raise ValueError('class labels must be given if and only if the '
                             'model is class-conditional')
        with self.fast_forward_context(x):
            out = self._predict(self.to_memory_format(x), timesteps, y)
        return out.type(x.dtype).contiguous()

    def _predict(self, x, timesteps, y):
        """The forward pass proper (inside the speed-option context)."""
        emb = self.time_embed(timestep_embedding(timesteps, self.hidden_dim))
        if y is not None:
            emb = emb + self.label_emb(y)
        tokens = self.patch_embed(x).flatten(2).transpose(1, 2)
        h = (tokens + self.pos_embed).type(self.dtype)
        emb_torso = emb.type(self.dtype)
        for block in self.blocks:
            h = block(h, emb_torso)
        shift, scale = self.adaln_out(nn.functional.silu(emb)).chunk(2, 1)
        h = modulate(self.norm_out(h.float()), shift, scale)
        return self.unpatchify(self.to_pixels(h))

    def unpatchify(self, tokens: torch.Tensor) -> torch.Tensor:
        """``(N, L, p*p*C)`` patch predictions to ``(N, C, H, W)``."""
        n, p = tokens.shape[0], self.patch_size
        side = self.image_size // p
        x = tokens.reshape(n, side, side, p, p, self.out_channels)
        return x.permute(0, 5, 1, 3, 2, 4).reshape(n, self.out_channels,
                                                   side * p, side * p)
