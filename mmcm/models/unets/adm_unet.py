"""The ADM UNet used by OpenAI's consistency models and EDM teachers."""
from typing import Optional, Sequence

import torch
from torch import nn

from mmcm.registry import MODELS
from .acceleration import Accelerable
from .blocks import (AttentionBlock, Downsample, GroupNorm32, ResBlock,
                     TimestepEmbedSequential, Upsample, timestep_embedding,
                     zero_module)

DEFAULT_CHANNEL_MULT = {
    512: (0.5, 1, 1, 2, 2, 4, 4),
    256: (1, 1, 2, 2, 4, 4),
    128: (1, 1, 2, 3, 4),
    64: (1, 2, 3, 4),
}


def default_channel_mult(image_size: int) -> tuple:
    """Channel multipliers the official code picks for ``image_size``."""
    if image_size not in DEFAULT_CHANNEL_MULT:
        known = sorted(DEFAULT_CHANNEL_MULT)
        raise ValueError(f'no default channel_mult for image_size '
                         f'{image_size}; give channel_mult explicitly '
                         f'(defaults exist for {known})')
    return DEFAULT_CHANNEL_MULT[image_size]


@MODELS.register_module()
class ADMUNet(Accelerable, nn.Module):
    """ADM UNet whose ``state_dict`` matches OpenAI's ``cm/unet.py`` exactly.

    Args:
        image_size: Input resolution in pixels.
        in_channels: Image channels.
        model_channels: Base channel count.
        out_channels: Output channels.
        num_res_blocks: Residual blocks per resolution.
        attention_resolutions: Resolutions in pixels (e.g. ``(32, 16, 8)``)
            at which self-attention is used.
        dropout: Dropout probability inside residual blocks.
        channel_mult: Channel multiplier per level; ``None`` takes the
            official default for ``image_size``.
        num_classes: Number of classes for a class-conditional model.
        use_fp16: Run the torso (input, middle and output blocks) in float16,
            as the official ``convert_to_fp16``.
        num_heads: Attention heads when ``num_head_channels`` is -1.
        num_head_channels: Channels per attention head (overrides heads).
        num_heads_upsample: Heads in the decoder; -1 means ``num_heads``.
        use_scale_shift_norm: FiLM conditioning in residual blocks.
        resblock_updown: Resample with residual blocks instead of convs.
        use_checkpoint: Gradient checkpointing of residual and attention
            blocks while training.
        diffusion_head: Add a second output layer, ``diffusion_out``, that
            joint consistency + diffusion training fits as an EDM denoiser
            on the shared torso.
        output_head: The head :meth:`forward` uses by default:
            ``'consistency'`` (``out``) or ``'diffusion'``.
        pixel_norm: PixelNorm on the adaptive GroupNorm scale and shift
            (needs ``use_scale_shift_norm``; sCM's network).
        num_time_inputs: Noise inputs per image: 1 (``timesteps`` of shape
            ``(N,)``), or 2 for MeanFlow's ``(t, t - r)`` (shape ``(N, 2)``),
            whose sinusoidal embeddings are concatenated before the time
            MLP, as in MeanFlow's network.
        null_class: One more label embedding, label ``num_classes``
            (:attr:`null_label`): the unconditional input of classifier-free
            guidance, as DiT's label embedder (MeanFlow's guided training).

    :meth:`accelerate` switches on the sampling speed options
    (channels-last, autocast, ``torch.compile``, CUDA graphs).
    """

    HEADS = ('consistency', 'diffusion')

    def __init__(self,
                 image_size: int,
                 in_channels: int = 3,
                 model_channels: int = 128,
                 out_channels: int = 3,
                 num_res_blocks: int = 2,
                 attention_resolutions: Sequence[int] = (32, 16, 8),
                 dropout: float = 0.0,
                 channel_mult: Optional[Sequence[float]] = None,
                 num_classes: Optional[int] = None,
                 use_fp16: bool = False,
                 num_heads: int = 1,
                 num_head_channels: int = -1,
                 num_heads_upsample: int = -1,
                 use_scale_shift_norm: bool = False,
                 resblock_updown: bool = False,
                 use_checkpoint: bool = False,
                 diffusion_head: bool = False,
                 output_head: str = 'consistency',
                 pixel_norm: bool = False,
                 num_time_inputs: int = 1,
                 null_class: bool = False):
        super().__init__()
        if null_class and num_classes is None:
            raise ValueError('null_class needs a class-conditional model '
                             '(num_classes)')
        self.image_size = image_size
        self.in_channels = in_channels
        self.model_channels = model_channels
        self.out_channels = out_channels
        self.num_classes = num_classes
        self._num_res_blocks = num_res_blocks
        self.channel_mult = tuple(channel_mult or
                                  default_channel_mult(image_size))
        self._attention_ds = {image_size // res
                              for res in attention_resolutions}
        self._block_kwargs = dict(
            emb_channels=model_channels * 4, dropout=dropout,
            use_scale_shift_norm=use_scale_shift_norm,
            use_checkpoint=use_checkpoint, pixel_norm=pixel_norm)
        if pixel_norm and not use_scale_shift_norm:
            raise ValueError('pixel_norm modulates the adaptive GroupNorm: '
                             'set use_scale_shift_norm=True')
        self._attn_kwargs = dict(num_head_channels=num_head_channels,
                                 use_checkpoint=use_checkpoint)
        self.num_heads = num_heads
        self.num_heads_upsample = (num_heads if num_heads_upsample == -1 else
                                   num_heads_upsample)
        self.resblock_updown = resblock_updown
        self.dtype = torch.float32
        self._cast_weights, self._casting = [], False

        if num_time_inputs not in (1, 2):
            raise ValueError(f'num_time_inputs must be 1 or 2, got '
                             f'{num_time_inputs}')
        self.num_time_inputs = num_time_inputs
        time_embed_dim = model_channels * 4
        self.time_embed = nn.Sequential(
            nn.Linear(model_channels * num_time_inputs, time_embed_dim),
            nn.SiLU(),
            nn.Linear(time_embed_dim, time_embed_dim))
        # Label num_classes is the null class of classifier-free guidance.
        self.null_label = num_classes if null_class else None
        if num_classes is not None:
            self.label_emb = nn.Embedding(num_classes + int(null_class),
                                          time_embed_dim)
        skip_channels = self._build_encoder()
        self._build_middle()
        self._build_decoder(skip_channels)
        self.out = self._output_layer()
        if diffusion_head:
            self.diffusion_out = self._output_layer()
        self.output_head = self._check_head(output_head)
        if use_fp16:
            self.convert_torso(torch.float16)

    def _output_layer(self) -> nn.Module:
        return nn.Sequential(
            GroupNorm32(self._ch), nn.SiLU(),
            zero_module(nn.Conv2d(self._input_ch, self.out_channels, 3,
                                  padding=1)))

    def _check_head(self, head: str) -> str:
        if head not in self.HEADS:
            raise ValueError(f'head must be one of {self.HEADS}, got '
                             f'{head!r}')
        if head == 'diffusion' and not hasattr(self, 'diffusion_out'):
            raise ValueError('this UNet has no diffusion head; build it '
                             'with diffusion_head=True')
        return head

    def _res_block(self, channels, out_channels, **kwargs):
        return ResBlock(channels, out_channels=out_channels,
                        **self._block_kwargs, **kwargs)

    def _attention(self, channels, num_heads):
        return AttentionBlock(channels, num_heads=num_heads,
                              **self._attn_kwargs)

    def _build_encoder(self) -> list:
        ch = self._input_ch = int(self.channel_mult[0] * self.model_channels)
        self.input_blocks = nn.ModuleList([
            TimestepEmbedSequential(
                nn.Conv2d(self.in_channels, ch, 3, padding=1))
        ])
        skip_channels, ds = [ch], 1
        for level, mult in enumerate(self.channel_mult):
            for _ in range(self._num_res_blocks):
                out_ch = int(mult * self.model_channels)
                layers = [self._res_block(ch, out_ch)]
                ch = out_ch
                if ds in self._attention_ds:
                    layers.append(self._attention(ch, self.num_heads))
                self.input_blocks.append(TimestepEmbedSequential(*layers))
                skip_channels.append(ch)
            if level != len(self.channel_mult) - 1:
                down = (self._res_block(ch, ch, down=True)
                        if self.resblock_updown else Downsample(ch, True, ch))
                self.input_blocks.append(TimestepEmbedSequential(down))
                skip_channels.append(ch)
                ds *= 2
        self._ch, self._ds = ch, ds
        return skip_channels

    def _build_middle(self) -> None:
        ch = self._ch
        self.middle_block = TimestepEmbedSequential(
            self._res_block(ch, ch), self._attention(ch, self.num_heads),
            self._res_block(ch, ch))

    def _build_decoder(self, skip_channels: list) -> None:
        ch, ds = self._ch, self._ds
        self.output_blocks = nn.ModuleList([])
        for level, mult in reversed(list(enumerate(self.channel_mult))):
            for i in range(self._num_res_blocks + 1):
                out_ch = int(self.model_channels * mult)
                layers = [self._res_block(ch + skip_channels.pop(), out_ch)]
                ch = out_ch
                if ds in self._attention_ds:
                    layers.append(self._attention(ch, self.num_heads_upsample))
                if level and i == self._num_res_blocks:
                    layers.append(
                        self._res_block(ch, ch, up=True)
                        if self.resblock_updown else Upsample(ch, True, ch))
                    ds //= 2
                self.output_blocks.append(TimestepEmbedSequential(*layers))
        self._ch = ch

    def _torso_convs(self):
        """``(name, module)`` of the convolutions that ``use_fp16`` casts."""
        for name, module in self.named_modules():
            if (isinstance(module, nn.Conv2d) and name.split('.')[0] in (
                    'input_blocks', 'middle_block', 'output_blocks')):
                yield name, module

    def convert_torso(self, dtype: torch.dtype) -> 'ADMUNet':
        """Cast the convolutions of the torso to ``dtype`` (e.g. float16).

        GroupNorm always computes in float32 and the embeddings stay float32,
        as in the official ``convert_to_fp16``.
        """
        for _, module in self._torso_convs():
            module.to(dtype)
        self.dtype = dtype
        return self

    def keep_master_weights(self) -> 'ADMUNet':
        """Float32 weights, the torso still computed in :attr:`dtype`.

        The official fp16 training (``MixedPrecisionTrainer``): the
        optimizer, the EMAs and the target hold float32 "master" weights,
        and the torso runs on their float16 copies. Here each forward pass
        casts the torso's convolution weights to :attr:`dtype` (a
        differentiable cast, so the gradients arrive in float32): the same
        numbers as the official copy made after every step, and checkpoints
        hold float32 weights under the same keys.
        """
        self._cast_weights = [
            f'{name}.{key}' for name, module in self._torso_convs()
            for key, _ in module.named_parameters()]
        for _, module in self._torso_convs():
            module.float()
        return self

    def _forward_on_cast_weights(self, x, timesteps, y, head):
        params = dict(self.named_parameters())
        cast = {n: params[n].to(self.dtype) for n in self._cast_weights}
        self._casting = True
        try:
            return torch.func.functional_call(self, cast, (x, timesteps),
                                              dict(y=y, head=head))
        finally:
            self._casting = False

    def forward(self, x: torch.Tensor, timesteps: torch.Tensor,
                y: Optional[torch.Tensor] = None,
                head: Optional[str] = None) -> torch.Tensor:
        """Predict the network output ``F(x, t)`` for noise input ``t``.

        Args:
            x: Images ``(N, C, H, W)``.
            timesteps: One (fractional) noise input per image, shape
                ``(N,)``, or ``(N, num_time_inputs)``.
            y: Class labels ``(N,)``; required iff ``num_classes`` is set.
            head: Output head; ``None`` is :attr:`output_head`.
        """
        if self._cast_weights and not self._casting:
            return self._forward_on_cast_weights(x, timesteps, y, head)
        head = self.output_head if head is None else self._check_head(head)
        if (y is not None) != (self.num_classes is not None):
            raise ValueError('class labels must be given if and only if the '
                             'model is class-conditional')
        with self.fast_forward_context(x):
            out = self._predict(self.to_memory_format(x), timesteps, y,
                                head)
        return out.type(x.dtype).contiguous()

    def _time_features(self, timesteps: torch.Tensor) -> torch.Tensor:
        """The sinusoidal embedding of each noise input, concatenated."""
        if self.num_time_inputs == 1:
            return timestep_embedding(timesteps, self.model_channels)
        if timesteps.ndim != 2 or timesteps.shape[1] != self.num_time_inputs:
            raise ValueError(f'expected timesteps of shape (N, '
                             f'{self.num_time_inputs}), got '
                             f'{tuple(timesteps.shape)}')
        return torch.cat([timestep_embedding(column, self.model_channels)
                          for column in timesteps.unbind(1)], dim=1)

    def _predict(self, x, timesteps, y, head):
        """The forward pass proper (inside the speed-option context)."""
        emb = self.time_embed(self._time_features(timesteps))
        if y is not None:
            emb = emb + self.label_emb(y)
        h, skips = x.type(self.dtype), []
        for block in self.input_blocks:
            h = block(h, emb)
            skips.append(h)
        h = self.middle_block(h, emb)
        for block in self.output_blocks:
            h = block(torch.cat([h, skips.pop()], dim=1), emb)
        out = self.out if head == 'consistency' else self.diffusion_out
        return out(h.type(x.dtype))
