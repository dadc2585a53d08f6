from .acceleration import Accelerable
from .adm_unet import ADMUNet, default_channel_mult
from .edm2_unet import EDM2UNet, edm2_constructor_kwargs
from .mlp_mixer import MLPMixer
from .winograd import (WinogradConv2d, use_winograd,
                       winograd_kernel_bytes)

__all__ = [
    'ADMUNet', 'EDM2UNet', 'edm2_constructor_kwargs', 'MLPMixer',
    'default_channel_mult', 'Accelerable',
    'WinogradConv2d', 'use_winograd',
    'winograd_kernel_bytes'
]
