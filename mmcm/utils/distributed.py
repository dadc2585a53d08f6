"""Distributed set-up shared by tools/train.py and tools/test.py."""
import torch
import torch.distributed as dist
from mmengine.config import Config


def setup_cpu_distributed(cfg: Config) -> None:
    """Distributed runs without CUDA (e.g. gloo on CPU).

    mmengine's launcher always calls ``torch.cuda.set_device`` and gives DDP
    a device id; on a CPU the process group is started here instead and DDP
    wraps the CPU module without device ids.
    """
    if cfg.launcher != 'pytorch' or torch.cuda.is_available():
        return
    backend = cfg.get('env_cfg', {}).get('dist_cfg', {}).get('backend')
    if backend in (None, 'nccl'):
        backend = 'gloo'
    if not dist.is_initialized():
        dist.init_process_group(backend=backend)
    cfg.setdefault('model_wrapper_cfg',
                   dict(type='MMDistributedDataParallel',
                        device_ids=None, broadcast_buffers=False))


def close_distributed() -> None:
    """Leave the process group together at the end of a run: every rank
    reaches a barrier, then the group is destroyed, so no rank exits while
    another still talks to it (gloo's threads otherwise abort at
    interpreter shutdown now and then)."""
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
