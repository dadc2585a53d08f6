"""Fully sharded training (FSDP) of consistency models.

Every network of a training model (the online network, its target, each
evaluation EMA, the teacher) becomes its own FSDP unit, so all of them are
sharded alike: each rank holds the same slice of every network. The target
and EMA updates (:func:`~mmcm.models.averaging.update_average`) then run on
the local slices, element for element, with no gather; a network is gathered
only while it runs a forward pass. Checkpoints hold full state dicts
(gathered on rank 0 when saved), so they resume, export and sample as
those of DDP runs do.

``tools/train.py CONFIG --strategy fsdp`` (or ``tools/dist_train.sh CONFIG
N --strategy fsdp``) trains through mmengine's ``FlexibleRunner`` with
:func:`fsdp_strategy`.
"""
import functools

import torch
from mmengine._strategy import FSDPStrategy
from mmengine.model import MMFullyShardedDataParallel
from torch.distributed.fsdp import FullyShardedDataParallel as FSDP
from torch.distributed.fsdp.wrap import lambda_auto_wrap_policy

from mmcm.registry import MODEL_WRAPPERS, STRATEGIES


def trainer_networks(model) -> list:
    """The networks of ``model`` that are sharded, each one unit."""
    return model.training_networks() + model.averaged_networks()


@MODEL_WRAPPERS.register_module()
class NetworkShardedDataParallel(MMFullyShardedDataParallel):
    """mmengine's FSDP wrapper with one unit per network of the model.

    On a machine without CUDA the units live on the CPU (gloo).

    Args:
        module: A :class:`~mmcm.models.ConsistencyModel` with a training
            block.
        device_id: CUDA device (mmengine passes ``LOCAL_RANK``).
        **kwargs: :class:`mmengine.model.MMFullyShardedDataParallel`
            arguments (``sharding_strategy``, ``mixed_precision`` ...).
    """

    def __init__(self, module, device_id=None, **kwargs):
        networks = set(trainer_networks(module))
        kwargs.setdefault('use_orig_params', False)
        kwargs.setdefault('auto_wrap_policy', functools.partial(
            lambda_auto_wrap_policy, lambda_fn=networks.__contains__))
        if not torch.cuda.is_available():
            device_id = torch.device('cpu')
        super().__init__(module, device_id=device_id, **kwargs)



@STRATEGIES.register_module()
class NetworkShardedStrategy(FSDPStrategy):
    """mmengine's ``FSDPStrategy`` with :class:`NetworkShardedDataParallel`
    units, drawing random numbers in ``Runner``'s order.

    ``Runner`` (DDP) builds the model right after seeding and starts the
    training dataloader's iterator (one int64 draw of torch's global
    generator, its base seed) later; ``FlexibleRunner`` starts the iterator
    first. :meth:`build_model` restores ``Runner``'s order, so an FSDP run
    starts from the weights of the DDP run and draws the same noise
    (``tests/test_engine`` checks both).
    """

    def __init__(self, *, model_wrapper=None, state_dict_cfg='full',
                 **kwargs):
        model_wrapper = dict(type='NetworkShardedDataParallel',
                             **(model_wrapper or {}))
        super().__init__(model_wrapper=model_wrapper,
                         state_dict_cfg=state_dict_cfg, **kwargs)

    def build_model(self, model):
        if not isinstance(model, dict):
            return super().build_model(model)
        self._set_randomness(**self._randomness)
        built = super().build_model(model)
        torch.empty((), dtype=torch.int64).random_()  # the base seed
        return built

    def build_optim_wrapper(self, optim_wrapper, model=None):
        if isinstance(optim_wrapper, dict) and optim_wrapper.get(
                'type') == 'MixedPrecisionOptimWrapper':
            optim_wrapper = dict(optim_wrapper, sharded=True)
        return super().build_optim_wrapper(optim_wrapper, model)

    def optim_state_dict(self) -> dict:
        """The full optimizer state (keyword arguments: torch's order of
        ``FSDP.optim_state_dict`` differs from what mmengine 0.10 passes)."""
        return FSDP.optim_state_dict(model=self.model,
                                     optim=self.optim_wrapper.optimizer)

    def load_optim_state_dict(self, state_dict: dict) -> None:
        state = FSDP.optim_state_dict_to_load(
            model=self.model, optim=self.optim_wrapper.optimizer,
            optim_state_dict=state_dict)
        self.optim_wrapper.load_state_dict(state)


def fsdp_strategy(**model_wrapper) -> dict:
    """The ``strategy`` of a ``FlexibleRunner`` config for FSDP."""
    return dict(type='NetworkShardedStrategy', model_wrapper=model_wrapper)


__all__ = ['NetworkShardedDataParallel', 'NetworkShardedStrategy',
           'fsdp_strategy', 'trainer_networks']
