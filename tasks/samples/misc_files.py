"""Misc files under outputs/reports/: quantization, kernel and health-check reports, and warts.

The warts: a .py script, an empty Markdown file, a binary profiler capture, a UTF-16 "CSV" and
a README.md.
"""

from __future__ import annotations

import json
import random

from tasks.samples.common import _Pile, _when


def _add_misc(pile: _Pile, rng: random.Random, start: int) -> None:
    reports = "outputs/reports"
    day = _when(start + 12 * 86_400)

    variants = {
        "baseline": (rng.uniform(0.70, 0.80), rng.uniform(0.55, 0.65), rng.randint(2700, 2900)),
        "qat": (rng.uniform(0.35, 0.72), rng.uniform(0.6, 1.1), rng.randint(3600, 3900)),
        "int8": (rng.uniform(0.70, 0.80), rng.uniform(0.55, 0.65), rng.randint(2900, 3100)),
    }
    pile.add(
        f"{reports}/quantization/quantization_report.json",
        json.dumps(
            {
                name: {"accuracy": acc, "loss": loss, "model_size_bytes": size}
                for name, (acc, loss, size) in variants.items()
            },
            indent=2,
        ),
    )
    # Headings glued to the last bullet of the section before, as the real writer does.
    pile.add(
        f"{reports}/quantization/quantization_report.md",
        "# Quantization Benchmark"
        + "".join(
            f" ## {name.upper()}\n- Accuracy: {acc:.4f}\n- Loss: {loss:.4f}\n"
            f"- Model size: {size} bytes"
            for name, (acc, loss, size) in variants.items()
        )
        + "\n",
    )

    def timing(low: float, high: float) -> dict[str, float]:
        mean = rng.uniform(low, high)
        return {
            "mean_time_ms": mean,
            "std_time_ms": mean * rng.uniform(0.05, 3.0),
            "min_time_ms": mean * rng.uniform(0.01, 0.9),
            "max_time_ms": mean * rng.uniform(1.2, 10.0),
        }

    kernels = {
        "attention": {"torch": timing(0.2, 30.0), "flash": timing(0.1, 5.0)},
        "tensor_core": {"1024x1024x1024": timing(0.05, 20.0)},
        "fusion": {"linear_then_gelu": timing(0.3, 1.0), "fused_linear_gelu": timing(0.04, 0.1)},
    }
    pile.add(f"{reports}/kernel_optimization/kernel_benchmarks.json", json.dumps(kernels))

    anomalies = rng.randint(1, 6)
    before = rng.uniform(20.0, 40.0)
    health = {
        "timestamp": day.replace(tzinfo=None).isoformat(sep=" "),
        "anomalies_detected": anomalies,
        "actions_taken": [
            {
                "action_id": f"{strategy}_{day.strftime('%Y%m%d_%H%M%S')}",
                "strategy": strategy,
                "status": "completed",
                "error_message": None,
                "metrics_before": {"latency_ms": before},
                "metrics_after": {"latency_ms": before * rng.uniform(0.6, 1.4)},
            }
            for strategy in ("config_rollback", "parameter_tuning", "resource_scaling")
        ],
        "overall_success": rng.random() < 0.5,
    }
    stamp = day.strftime("%Y%m%d_%H%M%S")
    pile.add(f"{reports}/diagnostics/health_check_{stamp}.json", json.dumps(health, indent=2))

    run_id = rng.getrandbits(64)
    pile.add(
        f"{reports}/integration/topology_diagram.py",
        f'"""Draw the service topology of the benchmark rig (run {run_id:016x})."""\n\n'
        "SERVICES = ('ollama', 'collector', 'dashboard')\n\n\n"
        "def main() -> None:\n"
        "    print(' -> '.join(SERVICES))\n\n\n"
        "if __name__ == '__main__':\n"
        "    main()\n",
    )
    pile.add(f"{reports}/integration/pending_digest.md", b"")
    # A profiler capture: opaque bytes that must be inventoried, not parsed.
    pile.add(f"{reports}/profiling/ncu_capture.ncu-rep", b"NVPROF\x00\x02" + rng.randbytes(2040))
    # The profiler's error text, saved by a PowerShell redirect: UTF-16 with a BOM, named .csv.
    pile.add(
        f"{reports}/profiling/ncu_summary.csv",
        (
            f"==ERROR== option '--metric-set' is not recognised (session {run_id:016x}).\r\n"
            "==ERROR== Run with --help for the list of options.\r\n"
        ).encode("utf-16"),
    )
    pile.add(
        f"{reports}/README.md",
        "# Benchmark reports\n\n"
        f"One folder per study, last tidied {day:%Y-%m-%d %H:%M:%S}. Raw exports live in "
        "`../../data/csv`.\n\n"
        "- `ollama/`: prompt-suite runs, one folder per run\n"
        "- `gemma3/`, `llama3/`: baselines, sweeps and write-ups\n"
        "- `compilation/`: PyTorch backend comparisons\n"
        "- `profiling/`, `diagnostics/`, `integration/`: odds and ends\n",
    )
