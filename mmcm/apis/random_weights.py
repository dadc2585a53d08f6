"""Random weights in the official checkpoint format, for demos and tests."""
import torch

from mmcm.registry import MODELS
from .setup_env import register_all_modules


def random_unet_state_dict(unet_cfg: dict, seed: int = 0,
                           std: float = 0.05) -> dict:
    """A UNet ``state_dict`` with random weights, official key names.

    Layers the official code initialises to zero (output convolutions) get
    ``N(0, std)`` values too, so samples from it are not constant images.
    """
    register_all_modules(init_default_scope=False)
    torch.manual_seed(seed)
    unet = MODELS.build(unet_cfg)
    with torch.no_grad():
        for param in unet.parameters():
            if not param.any():
                param.normal_(0, std)
    return unet.state_dict()
