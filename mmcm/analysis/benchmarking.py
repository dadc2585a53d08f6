"""Timing and peak-memory helpers shared by the benchmark tools."""
import os
import statistics
import time
from typing import Callable, Dict

import torch
from torch._C._profiler import _EventType

from mmcm.apis.diffusers_interop import (diffusers_unet_config,
                                         to_diffusers_state_dict)
from mmcm.models.unets.acceleration import Accelerable


def synchronize(device) -> None:
    if torch.device(device).type == 'cuda':
        torch.cuda.synchronize(device)


def _allocation_totals(nodes, totals: list) -> list:
    """``(time, running total, size)`` of every CPU allocation (or free,
    negative size) event in a profiler event tree."""
    for node in nodes:
        fields = node.extra_fields
        if (node.tag == _EventType.Allocation
                and fields.device.type == 'cpu'):
            totals.append((node.start_time_ns, fields.total_allocated,
                           fields.alloc_size))
        _allocation_totals(node.children, totals)
    return totals


class PeakMemory:
    """Peak of torch's allocations in a block above its start, in MiB.

    CUDA: ``torch.cuda.max_memory_allocated`` after a reset. CPU: the
    running total of the CPU allocator that torch's profiler records with
    ``profile_memory=True``. Both count tensors exactly (cuDNN workspaces
    too: torch allocates them); on the CPU, buffers that oneDNN and MKL
    allocate themselves are not seen, alike for every implementation.
    """

    def __init__(self, device):
        self.device = torch.device(device)
        self.peak_mib = 0.0

    def __enter__(self) -> 'PeakMemory':
        synchronize(self.device)
        if self.device.type == 'cuda':
            torch.cuda.reset_peak_memory_stats(self.device)
            self._start = torch.cuda.memory_allocated(self.device)
        else:
            # no kineto start/stop lines (read when it first starts)
            os.environ.setdefault('KINETO_LOG_LEVEL', '6')
            self._profiler = torch.profiler.profile(
                activities=[torch.profiler.ProfilerActivity.CPU],
                profile_memory=True)
            self._profiler.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        synchronize(self.device)
        if self.device.type == 'cuda':
            peak = torch.cuda.max_memory_allocated(self.device)
            self.peak_mib = (peak - self._start) / 2**20
            return
        self._profiler.__exit__(*exc)
        tree = self._profiler.profiler.kineto_results.experimental_event_tree()
        totals = sorted(_allocation_totals(tree, []))
        if totals:
            _, first_total, first_size = totals[0]
            start = first_total - first_size
            peak = max(total for _, total, _ in totals)
            self.peak_mib = (peak - start) / 2**20


def measure(fns: Dict[str, Callable[[], None]], device, warmup: int = 1,
            iters: int = 3) -> Dict[str, dict]:
    """Seconds per call of each of ``fns`` and its peak memory.

    The calls take turns (a, b, a, b, ...), so the drift of a shared
    machine's speed hits every entry alike: the median of ``iters`` timed
    calls after ``warmup`` untimed ones. The peak memory comes from one
    more call of each, apart, so it costs the timing nothing.
    """
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    synchronize(device)
    seconds = {name: [] for name in fns}
    for _ in range(iters):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            synchronize(device)
            seconds[name].append(time.perf_counter() - start)
    results = {}
    for name, fn in fns.items():
        with PeakMemory(device) as memory:
            fn()
        results[name] = dict(seconds_per_call=statistics.median(seconds[name]),
                             peak_memory_mib=memory.peak_mib)
    return results


class DiffusersUNet(Accelerable, torch.nn.Module):
    """A diffusers ``UNet2DModel`` behind the ADM call ``F(x, t, y)``, so
    the same samplers, trainers and speed options drive both
    implementations."""

    def __init__(self, unet):
        super().__init__()
        self.unet = unet
        self.num_classes = unet.config.num_class_embeds
        self.image_size = unet.config.sample_size
        self.in_channels = unet.config.in_channels

    def forward(self, x, timesteps, y=None):
        with self.fast_forward_context(x):
            out = self.unet(self.to_memory_format(x.to(self.unet.dtype)),
                            timesteps, class_labels=y)
        return out.sample.to(x.dtype).contiguous()


def diffusers_copy(adm_unet) -> DiffusersUNet:
    """The same weights as a diffusers ``UNet2DModel`` (float32)."""
    from diffusers import UNet2DModel
    state = {k: v.float().cpu() for k, v in adm_unet.state_dict().items()}
    unet = UNet2DModel(**diffusers_unet_config(adm_unet))
    unet.load_state_dict(to_diffusers_state_dict(adm_unet, state))
    return DiffusersUNet(unet)
