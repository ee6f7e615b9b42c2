"""GPU telemetry with pynvml while an LLM call runs: utilisation, memory used and power.

Where there is no NVIDIA driver or GPU, `gpu_status()` says "no GPU" with the reason, the sampler
records nothing, and the agent_calls columns stay empty.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cache

import pynvml


@dataclass(frozen=True)
class GpuReading:
    util_pct: float | None = None
    mem_used_mb: float | None = None
    power_w: float | None = None


@cache
def gpu_status() -> str:
    """'N GPU(s): names' or 'no GPU (reason)'; asked once per process."""
    try:
        pynvml.nvmlInit()
        count = pynvml.nvmlDeviceGetCount()
        names = [
            pynvml.nvmlDeviceGetName(pynvml.nvmlDeviceGetHandleByIndex(i)) for i in range(count)
        ]
    except pynvml.NVMLError as error:
        return f"no GPU ({error})"
    if not count:
        return "no GPU (the NVIDIA driver reports no devices)"
    return f"{count} GPU(s): " + ", ".join(str(name) for name in names)


def has_gpu() -> bool:
    return not gpu_status().startswith("no GPU")


class GpuSampler:
    """Samples every GPU in a background thread while the `with` block runs; `.reading` averages."""

    def __init__(self, interval_s: float = 0.1) -> None:
        self.interval_s = interval_s
        self._samples: list[tuple[float, float, float]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.reading = GpuReading()

    def _sample_once(self) -> None:
        util = mem = power = 0.0
        count = pynvml.nvmlDeviceGetCount()
        for index in range(count):
            handle = pynvml.nvmlDeviceGetHandleByIndex(index)
            util += pynvml.nvmlDeviceGetUtilizationRates(handle).gpu / count
            mem += pynvml.nvmlDeviceGetMemoryInfo(handle).used / 2**20
            power += pynvml.nvmlDeviceGetPowerUsage(handle) / 1000
        self._samples.append((util, mem, power))

    def _run(self) -> None:
        while True:
            try:
                self._sample_once()
            except pynvml.NVMLError:
                return
            if self._stop.wait(self.interval_s):
                return

    def __enter__(self) -> GpuSampler:
        if has_gpu():
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join()
        if self._samples:
            n = len(self._samples)
            util, mem, power = (sum(column) / n for column in zip(*self._samples, strict=True))
            self.reading = GpuReading(util_pct=util, mem_used_mb=mem, power_w=power)
