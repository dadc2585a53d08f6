"""Timing and peak-memory helpers shared by the benchmark tools."""
import os
import threading
import time
from typing import Callable

import torch

from mmcm.models.unets.acceleration import Accelerable


def synchronize(device) -> None:
    if torch.device(device).type == 'cuda':
        torch.cuda.synchronize(device)


def _rss_bytes() -> int:
    with open('/proc/self/statm', encoding='ascii') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')


class PeakMemory:
    """Peak memory of a block above its starting point, in MiB.

    CUDA: ``torch.cuda.max_memory_allocated`` after a reset (exact, torch's
    allocations only). CPU: the process's resident set sampled every
    millisecond by a thread (an estimate that includes allocator caching).
    """

    def __init__(self, device):
        self.device = torch.device(device)
        self.peak_mib = 0.0
        self._stop = threading.Event()

    def __enter__(self) -> 'PeakMemory':
        if self.device.type == 'cuda':
            torch.cuda.synchronize(self.device)
            torch.cuda.reset_peak_memory_stats(self.device)
            self._start = torch.cuda.memory_allocated(self.device)
            return self
        self._start = self._peak = _rss_bytes()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.is_set():
            self._peak = max(self._peak, _rss_bytes())
            time.sleep(0.001)

    def __exit__(self, *exc) -> None:
        if self.device.type == 'cuda':
            torch.cuda.synchronize(self.device)
            peak = torch.cuda.max_memory_allocated(self.device)
        else:
            self._stop.set()
            self._thread.join()
            peak = max(self._peak, _rss_bytes())
        self.peak_mib = (peak - self._start) / 2**20


def measure(fn: Callable[[], None], device, warmup: int = 1,
            iters: int = 3) -> dict:
    """Seconds per call of ``fn`` after ``warmup`` calls, and peak memory
    over the timed calls."""
    for _ in range(warmup):
        fn()
    synchronize(device)
    with PeakMemory(device) as memory:
        start = time.perf_counter()
        for _ in range(iters):
            fn()
        synchronize(device)
        seconds = (time.perf_counter() - start) / iters
    return dict(seconds_per_call=seconds, peak_memory_mib=memory.peak_mib)


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

    from mmcm.apis.diffusers_interop import (diffusers_unet_config,
                                             to_diffusers_state_dict)
    state = {k: v.float().cpu() for k, v in adm_unet.state_dict().items()}
    unet = UNet2DModel(**diffusers_unet_config(adm_unet))
    unet.load_state_dict(to_diffusers_state_dict(adm_unet, state))
    return DiffusersUNet(unet)
