"""EDM2's magnitude-preserving UNet (Karras et al. 2024, Figure 21).

:class:`EDM2UNet`'s ``state_dict`` has the names and shapes of the released
EDM2 networks (``unet.*`` and the log-variance head ``logvar_*``) and of
ECT's ECM networks (the same without the head), so their weights load
strictly. The preconditioning is mmcm's parameterisation's, as for every
network here: EDM2's own is :class:`~mmcm.models.EDMParameterisation` with
``noise_scale=1`` (``c_noise = log(sigma) / 4``).
"""
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from torch import nn

from mmcm.registry import MODELS
from .acceleration import Accelerable
from .attention import attention
from .mp_layers import (MPConv, MPFourier, mp_cat, mp_normalize, mp_silu,
                        mp_sum, resample)


class EDM2Block(nn.Module):
    """Encoder (``'enc'``) or decoder (``'dec'``) block: a magnitude-
    preserving residual block with the embedding as a multiplicative
    modulation, optional resampling and self-attention on
    pixel-normalised queries, keys and values (Figure 21)."""

    def __init__(self, in_channels: int, out_channels: int,
                 emb_channels: int, flavor: str = 'enc',
                 resample_mode: str = 'keep', attention: bool = False,
                 channels_per_head: int = 64, dropout: float = 0.0,
                 res_balance: float = 0.3, attn_balance: float = 0.3,
                 clip_act: Optional[float] = 256,
                 resample_filter: Sequence[float] = (1, 1)):
        super().__init__()
        if flavor not in ('enc', 'dec'):
            raise ValueError(f"flavor must be 'enc' or 'dec', got {flavor!r}")
        self.out_channels, self.flavor = out_channels, flavor
        self.resample_mode = resample_mode
        self.resample_filter = tuple(resample_filter)
        self.num_heads = out_channels // channels_per_head if attention else 0
        self.dropout, self.clip_act = dropout, clip_act
        self.res_balance, self.attn_balance = res_balance, attn_balance
        self.emb_gain = nn.Parameter(torch.zeros([]))
        first_in = out_channels if flavor == 'enc' else in_channels
        self.conv_res0 = MPConv(first_in, out_channels, (3, 3))
        self.emb_linear = MPConv(emb_channels, out_channels)
        self.conv_res1 = MPConv(out_channels, out_channels, (3, 3))
        self.conv_skip = (MPConv(in_channels, out_channels, (1, 1))
                          if in_channels != out_channels else None)
        if self.num_heads:
            self.attn_qkv = MPConv(out_channels, out_channels * 3, (1, 1))
            self.attn_proj = MPConv(out_channels, out_channels, (1, 1))

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        x = resample(x, self.resample_mode, self.resample_filter)
        if self.flavor == 'enc':
            if self.conv_skip is not None:
                x = self.conv_skip(x)
            x = mp_normalize(x, dim=1)
        y = self.conv_res0(mp_silu(x))
        scale = self.emb_linear(emb, gain=self.emb_gain) + 1
        y = mp_silu(y * scale[:, :, None, None].to(y.dtype))
        y = F.dropout(y, self.dropout, self.training)
        y = self.conv_res1(y)
        if self.flavor == 'dec' and self.conv_skip is not None:
            x = self.conv_skip(x)
        x = mp_sum(x, y, self.res_balance)
        if self.num_heads:
            x = mp_sum(x, self._attention(x), self.attn_balance)
        if self.clip_act is not None:
            x = x.clamp(-self.clip_act, self.clip_act)
        return x

    def _attention(self, x: torch.Tensor) -> torch.Tensor:
        """Self-attention over pixels; ``qkv``'s channels are laid out as
        ``(heads, head_dim, three)``, each of ``q, k, v`` pixel-normalised
        per head."""
        n, c, height, width = x.shape
        qkv = self.attn_qkv(x).reshape(n, self.num_heads, -1, 3,
                                       height * width)
        q, k, v = mp_normalize(qkv, dim=2).transpose(2, 4).unbind(3)
        y = attention(q.contiguous(), k.contiguous(), v.contiguous())
        return self.attn_proj(y.transpose(2, 3).reshape(n, c, height, width))


class EDM2Torso(nn.Module):
    """The UNet proper, ``F(x, c_noise, class)`` (EDM2's ``UNet``)."""

    def __init__(self, image_size: int, in_channels: int, out_channels: int,
                 num_classes: int, model_channels: int,
                 channel_mult: Sequence[int], channel_mult_noise,
                 channel_mult_emb, num_res_blocks: int,
                 attention_resolutions: Sequence[int], label_balance: float,
                 concat_balance: float, num_time_inputs: int,
                 dropout_resolution: Optional[int], block_kwargs: dict):
        super().__init__()
        widths = [model_channels * m for m in channel_mult]
        noise_dim = (model_channels * channel_mult_noise
                     if channel_mult_noise else widths[0])
        emb_dim = (model_channels * channel_mult_emb if channel_mult_emb
                   else max(widths))
        self.label_balance, self.concat_balance = label_balance, concat_balance
        self.out_gain = nn.Parameter(torch.zeros([]))
        self.emb_fourier = MPFourier(noise_dim)
        self.emb_noise = MPConv(noise_dim, emb_dim)
        if num_time_inputs == 2:
            self.emb_fourier_gap = MPFourier(noise_dim)
            self.emb_noise_gap = MPConv(noise_dim, emb_dim)
        self.emb_label = (MPConv(num_classes, emb_dim) if num_classes
                          else None)
        self._block_kwargs = block_kwargs
        self._dropout_resolution = dropout_resolution
        self._attention_resolutions = set(attention_resolutions)
        self.enc = nn.ModuleDict()
        self.dec = nn.ModuleDict()
        out = self._build_encoder(image_size, in_channels, widths, emb_dim,
                                  num_res_blocks)
        out = self._build_decoder(image_size, out, widths, emb_dim,
                                  num_res_blocks)
        self.out_conv = MPConv(out, out_channels, (3, 3))

    def _block(self, res: int, cin: int, cout: int, emb_dim: int, **kwargs
               ) -> EDM2Block:
        """A block at resolution ``res``; dropout only at resolutions up to
        ``dropout_resolution`` when that is set (ECT's ``dropout_res``)."""
        block_kwargs = dict(self._block_kwargs, **kwargs)
        if self._dropout_resolution and res > self._dropout_resolution:
            block_kwargs['dropout'] = 0.0
        block_kwargs.setdefault('attention',
                                res in self._attention_resolutions)
        return EDM2Block(cin, cout, emb_dim, **block_kwargs)

    def _build_encoder(self, image_size, in_channels, widths, emb_dim,
                       num_res_blocks) -> int:
        cout = in_channels + 1  # the constant-one channel
        for level, width in enumerate(widths):
            res = image_size >> level
            if level == 0:
                self.enc[f'{res}x{res}_conv'] = MPConv(cout, width, (3, 3))
                cout = width
            else:
                self.enc[f'{res}x{res}_down'] = self._block(
                    res, cout, cout, emb_dim, flavor='enc',
                    resample_mode='down', attention=False)
            for idx in range(num_res_blocks):
                self.enc[f'{res}x{res}_block{idx}'] = self._block(
                    res, cout, width, emb_dim, flavor='enc')
                cout = width
        return cout

    def _build_decoder(self, image_size, cout, widths, emb_dim,
                       num_res_blocks) -> int:
        skips = [block.out_channels for block in self.enc.values()]
        for level in reversed(range(len(widths))):
            res, width = image_size >> level, widths[level]
            if level == len(widths) - 1:
                self.dec[f'{res}x{res}_in0'] = self._block(
                    res, cout, cout, emb_dim, flavor='dec', attention=True)
                self.dec[f'{res}x{res}_in1'] = self._block(
                    res, cout, cout, emb_dim, flavor='dec', attention=False)
            else:
                self.dec[f'{res}x{res}_up'] = self._block(
                    res, cout, cout, emb_dim, flavor='dec',
                    resample_mode='up', attention=False)
            for idx in range(num_res_blocks + 1):
                self.dec[f'{res}x{res}_block{idx}'] = self._block(
                    res, cout + skips.pop(), width, emb_dim, flavor='dec')
                cout = width
        return cout

    def embedding(self, c_noise: torch.Tensor,
                  labels: Optional[torch.Tensor]) -> torch.Tensor:
        """The block embedding of the noise input(s) and class vectors."""
        if c_noise.ndim == 2:
            emb = mp_sum(self.emb_noise(self.emb_fourier(c_noise[:, 0])),
                         self.emb_noise_gap(
                             self.emb_fourier_gap(c_noise[:, 1])))
        else:
            emb = self.emb_noise(self.emb_fourier(c_noise))
        if self.emb_label is not None:
            label_emb = self.emb_label(labels * labels.shape[1]**0.5)
            emb = mp_sum(emb, label_emb.to(emb.dtype), self.label_balance)
        return mp_silu(emb)

    def forward(self, x: torch.Tensor, c_noise: torch.Tensor,
                labels: Optional[torch.Tensor]) -> torch.Tensor:
        emb = self.embedding(c_noise, labels)
        x = torch.cat([x, torch.ones_like(x[:, :1])], dim=1)
        skips = []
        for name, block in self.enc.items():
            x = block(x) if name.endswith('_conv') else block(x, emb)
            skips.append(x)
        for name, block in self.dec.items():
            if '_block' in name:
                x = mp_cat(x, skips.pop(), self.concat_balance)
            x = block(x, emb)
        return self.out_conv(x, gain=self.out_gain)


@MODELS.register_module()
class EDM2UNet(Accelerable, nn.Module):
    """EDM2's UNet with its learned log-variance head, ``F(x, c_noise, y)``.

    Args:
        image_size: Input resolution (pixels, or latent pixels).
        in_channels: Image channels (3; 4 for SD-VAE latents).
        out_channels: Output channels; ``None`` is ``in_channels``.
        num_classes: Classes of a class-conditional model (EDM2's
            ``label_dim``), ``None`` for an unconditional one.
        model_channels: Base width (S 192, M 256, L 320, XL 384).
        channel_mult: Width multiplier per resolution.
        channel_mult_noise, channel_mult_emb: Widths of the Fourier noise
            features and of the embedding; ``None`` is EDM2's default
            (the first and the largest block width).
        num_res_blocks: Blocks per resolution in the encoder (one more in
            the decoder).
        attention_resolutions: Resolutions with self-attention.
        label_balance, concat_balance: ``t`` of the embedding sum and of
            the skip concatenation.
        dropout: Dropout inside the residual branch.
        dropout_resolution: Dropout only at resolutions up to this (ECT's
            ``dropout_res``); ``None`` everywhere.
        channels_per_head, res_balance, attn_balance, clip_act,
            resample_filter: Block options, EDM2's defaults.
        log_variance: Build the log-variance head ``logvar_fourier`` /
            ``logvar_linear`` (EDM2's networks have it, ECT's do not).
        logvar_channels: Fourier features of the head.
        num_time_inputs: 2 for MeanFlow's ``(t, t - r)``: the second input
            gets its own Fourier features and linear layer
            (``emb_*_gap``), magnitude-preserving sum of the two.
        null_class: Label ``num_classes`` (:attr:`null_label`) is the
            unconditional input of classifier-free guidance: a zero class
            vector, as EDM2 runs its conditional networks unconditionally.
    """

    def __init__(self, image_size: int, in_channels: int = 3,
                 out_channels: Optional[int] = None,
                 num_classes: Optional[int] = None,
                 model_channels: int = 192,
                 channel_mult: Sequence[int] = (1, 2, 3, 4),
                 channel_mult_noise: Optional[int] = None,
                 channel_mult_emb: Optional[int] = None,
                 num_res_blocks: int = 3,
                 attention_resolutions: Sequence[int] = (16, 8),
                 label_balance: float = 0.5, concat_balance: float = 0.5,
                 dropout: float = 0.0,
                 dropout_resolution: Optional[int] = None,
                 channels_per_head: int = 64, res_balance: float = 0.3,
                 attn_balance: float = 0.3,
                 clip_act: Optional[float] = 256,
                 resample_filter: Sequence[float] = (1, 1),
                 log_variance: bool = True, logvar_channels: int = 128,
                 num_time_inputs: int = 1, null_class: bool = False):
        super().__init__()
        if num_time_inputs not in (1, 2):
            raise ValueError(f'num_time_inputs must be 1 or 2, got '
                             f'{num_time_inputs}')
        if null_class and not num_classes:
            raise ValueError('null_class needs a class-conditional model '
                             '(num_classes)')
        self.image_size, self.in_channels = image_size, in_channels
        self.out_channels = out_channels or in_channels
        self.num_classes = num_classes or None
        self.num_time_inputs = num_time_inputs
        self.null_label = num_classes if null_class else None
        self.dtype = torch.float32
        block_kwargs = dict(
            channels_per_head=channels_per_head, dropout=dropout,
            res_balance=res_balance, attn_balance=attn_balance,
            clip_act=clip_act, resample_filter=resample_filter)
        self.unet = EDM2Torso(
            image_size, in_channels, self.out_channels, num_classes or 0,
            model_channels, channel_mult, channel_mult_noise,
            channel_mult_emb, num_res_blocks, attention_resolutions,
            label_balance, concat_balance, num_time_inputs,
            dropout_resolution, block_kwargs)
        if log_variance:
            # EDM2's own loss weighting; kept so that its weights load
            # strictly, frozen as no objective here trains it (sCM's
            # weighting has its own head), so DDP sees no unused parameter.
            self.logvar_fourier = MPFourier(logvar_channels)
            self.logvar_linear = MPConv(logvar_channels, 1)
            self.logvar_linear.requires_grad_(False)

    @torch.no_grad()
    def force_weight_normalization_(self) -> None:
        """Forced weight normalisation (EDM2's Eq. 66): project every
        trainable magnitude-preserving weight back to unit norm; the model
        calls it before each training step."""
        for module in self.modules():
            if isinstance(module, MPConv) and module.weight.requires_grad:
                module.force_normalize_()

    def class_vectors(self, y: Optional[torch.Tensor]
                      ) -> Optional[torch.Tensor]:
        """One-hot class vectors of integer labels; the null label (and
        ``None`` on a conditional model) is the zero vector."""
        if self.num_classes is None:
            if y is not None:
                raise ValueError('class labels given to an unconditional '
                                 'model')
            return None
        if y is None:
            raise ValueError('class labels must be given to a '
                             'class-conditional model')
        return F.one_hot(y, self.num_classes + 1)[:, :self.num_classes
                                                  ].float()

    def forward(self, x: torch.Tensor, timesteps: torch.Tensor,
                y: Optional[torch.Tensor] = None) -> torch.Tensor:
        """``F(x, c_noise)``: images ``(N, C, H, W)``, noise inputs ``(N,)``
        (``(N, 2)`` with two time inputs), integer labels ``(N,)``."""
        labels = self.class_vectors(y)
        with self.fast_forward_context(x):
            out = self.unet(self.to_memory_format(x), timesteps, labels)
        return out.type(x.dtype).contiguous()

    def log_variance(self, c_noise: torch.Tensor) -> torch.Tensor:
        """The head's ``u(sigma)`` of Eq. 21 at noise inputs ``(N,)``."""
        if not hasattr(self, 'logvar_linear'):
            raise AttributeError('this EDM2UNet was built with '
                                 'log_variance=False')
        return self.logvar_linear(self.logvar_fourier(c_noise))[:, 0]


EDM2_RENAMES = dict(
    img_resolution='image_size', img_channels='in_channels',
    label_dim='num_classes', num_blocks='num_res_blocks',
    attn_resolutions='attention_resolutions', dropout_res='dropout_resolution')
EDM2_IGNORED = ('use_fp16', 'sigma_data')


def edm2_constructor_kwargs(init_kwargs: dict) -> dict:
    """Map EDM2's / ECT's ``Precond`` arguments to :class:`EDM2UNet`'s; a
    network without the head is ECT's (``log_variance=False`` is for the
    caller to say, as the arguments do not record it)."""
    kwargs = {}
    for key, value in init_kwargs.items():
        if key in EDM2_IGNORED:
            continue
        if isinstance(value, list):
            value = tuple(value)
        kwargs[EDM2_RENAMES.get(key, key)] = value
    if not kwargs.get('num_classes'):
        kwargs['num_classes'] = None
    return kwargs
