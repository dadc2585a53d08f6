"""The LPIPS distance of the official consistency loss (``loss_norm=lpips``).

Zhang et al. (2018), "The Unreasonable Effectiveness of Deep Features as a
Perceptual Metric", VGG16 variant, built on the ``lpips`` package.

How it matches the official code, which calls ``piq.LPIPS(replace_pooling=
True, reduction='none')`` (piq 0.7.0) on ``(x + 1) / 2``:

- Input. piq standardises its ``[0, 1]`` input with the ImageNet statistics,
  ``((x + 1) / 2 - mean) / std``. The ``lpips`` package takes ``[-1, 1]``
  (``normalize=False``) and computes ``(x - shift) / scale`` with
  ``shift = 2 mean - 1 = (-.030, -.088, -.188)`` and
  ``scale = 2 std = (.458, .448, .450)``: the same map. Images in ``[-1, 1]``
  therefore go to the ``lpips`` net unchanged; the official ``(x + 1) / 2``
  followed by lpips' own ``2 x - 1`` would only add rounding.
- Features. Both take the torchvision VGG16 ``features`` at relu1_2,
  relu2_2, relu3_3, relu4_3 and relu5_3, unit-normalise them over channels
  (``f / (|f| + 1e-10)``), square the differences, weight the channels with
  the LPIPS v0.1 linear heads, average over space and sum over channels and
  layers. Only the order of the sums differs.
- Pooling. ``replace_pooling=True`` (the official setting, and the default
  here) swaps every VGG max-pooling for ``AvgPool2d(2, 2)`` as piq does.
  The LPIPS heads were fitted with max-pooling; the official code uses them
  with average pooling anyway, and so does this module by default.
- Weights. piq downloads its heads (``lpips_weights.pt``) and the
  torchvision VGG16 (``vgg16-397923af.pth``); here the heads come from the
  ``lpips`` wheel (v0.1 ``vgg.pth``, the original LPIPS release that piq
  cites) and VGG16 from torchvision's cache file. The two head files could
  not be compared value for value offline.
- Resizing. Images narrower than 256 px are resized bilinearly to 224 x 224
  first, as the official loss does; resizing before or after the affine
  map to ``[0, 1]`` is the same operation.
"""
import os
import os.path as osp
import warnings
from typing import Optional

import torch
from torch import nn

from mmcm.registry import MODELS
from .distances import check_pair, resize_bilinear

VGG16_FILENAME = 'vgg16-397923af.pth'
VGG16_URL = f'https://download.pytorch.org/models/{VGG16_FILENAME}'


def default_backbone_path() -> str:
    """torchvision's cache file for VGG16 (honours ``TORCH_HOME``)."""
    return osp.join(torch.hub.get_dir(), 'checkpoints', VGG16_FILENAME)


def missing_backbone_message(path: str) -> str:
    """One line saying which file LPIPS needs, and where."""
    return (f'LPIPS needs the torchvision VGG16 ImageNet weights: place '
            f'{VGG16_FILENAME} (from {VGG16_URL}) at {path}, or pass '
            'backbone_path=... (pretrained_backbone=False for tests)')


def lpips_heads_path() -> str:
    """The LPIPS v0.1 VGG linear heads shipped in the ``lpips`` wheel."""
    import lpips
    return osp.join(osp.dirname(lpips.__file__), 'weights', 'v0.1',
                    'vgg.pth')


def build_lpips_vgg() -> nn.Module:
    """``lpips.LPIPS(net='vgg')`` with a random trunk and random heads."""
    import lpips
    with warnings.catch_warnings():
        # torchvision deprecates the ``pretrained`` argument lpips passes.
        warnings.simplefilter('ignore', UserWarning)
        return lpips.LPIPS(pretrained=False, net='vgg', pnet_rand=True,
                           verbose=False)


def load_lpips_heads(model: nn.Module, path: str) -> None:
    """Load the linear heads ``lin0..lin4``, checking every key matches."""
    state = torch.load(path, map_location='cpu', weights_only=True)
    expected = {key for key in model.state_dict() if key.startswith('lin')
                and not key.startswith('lins.')}
    if set(state) != expected:
        raise RuntimeError(f'{path} does not hold the LPIPS VGG heads: '
                           f'keys {sorted(state)}')
    model.load_state_dict(state, strict=False)


def load_vgg16_features(trunk: nn.Module, path: str) -> None:
    """Copy torchvision VGG16 ``features.<i>`` weights into lpips' slices.

    The lpips trunk keeps torchvision's layer indices inside ``slice1`` to
    ``slice5``, so ``slice<k>.<i>.weight`` is ``features.<i>.weight``.
    """
    state = torch.load(path, map_location='cpu', weights_only=True)
    mapped = {}
    for slice_name, block in trunk.named_children():
        for index, layer in block.named_children():
            for param_name in layer.state_dict():
                source = f'features.{index}.{param_name}'
                if source not in state:
                    raise ValueError(f'{path} is not a torchvision VGG16 '
                                     f'state dict: it has no {source!r}')
                mapped[f'{slice_name}.{index}.{param_name}'] = state[source]
    trunk.load_state_dict(mapped)


def replace_max_pooling(trunk: nn.Module) -> None:
    """Swap each ``MaxPool2d`` for ``AvgPool2d(2, 2)``, as piq does."""
    for block in trunk.children():
        for name, layer in block.named_children():
            if isinstance(layer, nn.MaxPool2d):
                block.add_module(name, nn.AvgPool2d(kernel_size=2, stride=2))


@MODELS.register_module()
class LPIPSDistance(nn.Module):
    """Frozen LPIPS (VGG16) per sample for images in ``[-1, 1]``.

    See the module docstring for the correspondence with the official
    ``piq.LPIPS`` call. The module stays in eval mode (the lpips heads carry
    dropout) and none of its parameters require gradients; gradients still
    flow to the inputs.

    Args:
        replace_pooling: Average instead of max pooling in VGG16, as the
            official code (``True``). ``False`` gives standard LPIPS.
        pretrained_backbone: Load the ImageNet VGG16 weights. ``False``
            keeps a random trunk (lpips' ``pnet_rand=True``), for tests.
        backbone_path: The torchvision ``vgg16-397923af.pth``; defaults to
            torchvision's cache, ``$TORCH_HOME/hub/checkpoints``. Nothing is
            downloaded.
        resize_below: Inputs narrower than this are resized first (256).
        resize_to: Side of that resize (224).
    """

    def __init__(self, replace_pooling: bool = True,
                 pretrained_backbone: bool = True,
                 backbone_path: Optional[str] = None,
                 resize_below: int = 256, resize_to: int = 224):
        super().__init__()
        if pretrained_backbone:
            backbone_path = backbone_path or default_backbone_path()
            if not osp.isfile(backbone_path):
                raise FileNotFoundError(
                    missing_backbone_message(os.fspath(backbone_path)))
        self.replace_pooling = replace_pooling
        self.resize_below = resize_below
        self.resize_to = resize_to
        self.lpips = build_lpips_vgg()
        load_lpips_heads(self.lpips, lpips_heads_path())
        if pretrained_backbone:
            load_vgg16_features(self.lpips.net, backbone_path)
        if replace_pooling:
            replace_max_pooling(self.lpips.net)
        self.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True) -> 'LPIPSDistance':
        """Ignore ``mode``: LPIPS is a fixed metric, always in eval mode."""
        return super().train(False)

    def _follow(self, device: torch.device) -> None:
        """Move to the inputs' device (the owner may not be a Module)."""
        if self.lpips.lin0.model[-1].weight.device != device:
            self.to(device)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """LPIPS between ``x`` and ``y`` in ``[-1, 1]``, shape ``(N,)``.

        Computed in float32 with autocast off, like the official loss, whose
        LPIPS stays in float32 when the UNet trains in float16.
        """
        check_pair(x, y)
        self._follow(x.device)
        with torch.autocast(x.device.type, enabled=False):
            x, y = x.float(), y.float()
            if x.shape[-1] < self.resize_below:
                x = resize_bilinear(x, self.resize_to)
                y = resize_bilinear(y, self.resize_to)
            # [-1, 1] is lpips' own input range (normalize=False): the
            # official (x + 1) / 2 with ImageNet standardisation, see above.
            return self.lpips(x, y, normalize=False).reshape(-1)

    def extra_repr(self) -> str:
        return (f'replace_pooling={self.replace_pooling}, '
                f'resize_below={self.resize_below}, '
                f'resize_to={self.resize_to}')
