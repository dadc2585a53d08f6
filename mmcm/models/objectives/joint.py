"""Joint consistency and diffusion training on one network."""
from dataclasses import replace
from functools import partial

from mmcm.registry import MODELS
from .base import Objective


def _build(cfg_or_objective):
    if isinstance(cfg_or_objective, dict):
        return MODELS.build(cfg_or_objective)
    return cfg_or_objective


@MODELS.register_module()
class JointObjective(Objective):
    """``L_consistency + diffusion_weight * L_diffusion`` per sample.

    The network needs ``diffusion_head=True``: its ``out`` layer is the
    consistency function's, ``diffusion_out`` a diffusion denoiser's, both
    on one torso, so the denoising task regularises the shared features.
    The diffusion loss runs the diffusion head through the
    parameterisation's diffusion counterpart (EDM's for the consistency
    parameterisation). Both heads sample from one checkpoint
    (``network.output_head='diffusion'`` with that parameterisation for the
    diffusion head). Logs both parts.

    Args:
        consistency: Config of the consistency objective (CD, CT, iCT).
        diffusion: Config of the denoising objective (``EDMObjective``).
        diffusion_weight: Weight of the denoising loss.
    """

    accepts_teacher = True
    uses_num_scales = True

    def __init__(self, consistency=None, diffusion=None,
                 diffusion_weight: float = 1.0):
        self.consistency = _build(consistency
                                  or dict(type='ConsistencyObjective'))
        self.diffusion = _build(diffusion or dict(type='EDMObjective'))
        self.diffusion_weight = float(diffusion_weight)
        self.uses_target = self.consistency.uses_target

    def check(self, network, parameterisation) -> None:
        self.consistency.check(network, parameterisation)
        if not hasattr(network, 'diffusion_out'):
            raise ValueError('joint training needs a network with a '
                             'diffusion head: set network.diffusion_head='
                             'True')

    def __call__(self, batch, networks, parameterisation, step):
        consistency, logs = self.consistency(batch, networks,
                                             parameterisation, step)
        head = replace(networks, online=partial(networks.online,
                                                head='diffusion'))
        diffusion, _ = self.diffusion(
            batch, head, parameterisation.diffusion_counterpart(), step)
        logs = dict(logs, loss_consistency=consistency.detach().mean(),
                    loss_diffusion=diffusion.detach().mean())
        return consistency + self.diffusion_weight * diffusion, logs
