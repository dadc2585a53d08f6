from .adm_unet import ADMUNet, default_channel_mult

__all__ = ['ADMUNet', 'default_channel_mult']
