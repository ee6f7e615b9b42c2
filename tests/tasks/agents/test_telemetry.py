import pytest

from tasks.agents.telemetry import GpuReading, GpuSampler, gpu_status, has_gpu


def test_without_a_gpu_it_says_so_and_records_nothing():
    if has_gpu():
        pytest.skip(f"this machine has a GPU: {gpu_status()}")

    with GpuSampler(interval_s=0.01) as sampler:
        pass

    assert gpu_status().startswith("no GPU (")
    assert sampler.reading == GpuReading()


def test_with_a_gpu_a_call_is_sampled():
    if not has_gpu():
        pytest.skip(f"needs an NVIDIA GPU: {gpu_status()}")
    import time

    with GpuSampler(interval_s=0.01) as sampler:
        time.sleep(0.1)

    assert sampler.reading.mem_used_mb is not None and sampler.reading.mem_used_mb > 0
    assert 0 <= sampler.reading.util_pct <= 100
