"""Learning-rate schedules of the consistency papers that mmengine lacks."""
import math

from mmengine.optim.scheduler.lr_scheduler import LRSchedulerMixin
from mmengine.optim.scheduler.param_scheduler import INF, _ParamScheduler

from mmcm.registry import PARAM_SCHEDULERS


def inverse_sqrt_factor(iteration: int, ref_iters: int,
                        start_iters: int = 0) -> float:
    """``1 / sqrt(max((k + k_0) / k_ref, 1))``: EDM2's decay (Karras et al.
    2024, Eq. 17 with ``t_ref`` in iterations), as the ECT and TCM code
    apply it (``lr /= sqrt(max(cur_iter / decay_iter, 1))``), ``k_0`` the
    iterations already counted when the run starts."""
    return 1 / math.sqrt(max((iteration + start_iters) / ref_iters, 1))


@PARAM_SCHEDULERS.register_module()
class InverseSqrtLR(LRSchedulerMixin, _ParamScheduler):
    """``lr = base_lr / sqrt(max((k + start_iters) / ref_iters, 1))``
    (:func:`inverse_sqrt_factor`), recomputed from the base every step.

    Args:
        optimizer: The optimizer (or its wrapper).
        ref_iters: Iterations of constant learning rate before the decay
            (the papers' ``decay_iter``).
        start_iters: Iterations counted before this run (TCM's stage 2
            continues the count of stage 1's images).
        begin, end, last_step, by_epoch, verbose: As mmengine's schedulers.
    """

    def __init__(self, optimizer, ref_iters: int, start_iters: int = 0,
                 begin: int = 0, end: int = INF, last_step: int = -1,
                 by_epoch: bool = False, verbose: bool = False):
        if ref_iters < 1 or start_iters < 0:
            raise ValueError(f'need ref_iters >= 1 and start_iters >= 0, got '
                             f'{ref_iters} and {start_iters}')
        self.ref_iters, self.start_iters = int(ref_iters), int(start_iters)
        super().__init__(optimizer, begin=begin, end=end,
                         last_step=last_step, by_epoch=by_epoch,
                         verbose=verbose)

    def _get_value(self):
        # mmengine counts last_step from `begin`
        factor = inverse_sqrt_factor(self.last_step, self.ref_iters,
                                     self.start_iters)
        return [base * factor for base in self.base_values]
