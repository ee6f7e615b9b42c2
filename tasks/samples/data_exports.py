"""Data exports: data/csv/ baseline test results (JSON + CSV) and a latency-harness baseline.

Also writes outputs/reports/integration/baseline_performance_report.txt, a prose report.
"""

from __future__ import annotations

import json
import random
import statistics
from datetime import UTC, datetime

from tasks.samples.common import _columns, _csv, _mean, _Pile

TESTS = (
    ("Squad Wipe (Supportive)", "squad_wipe", "supportive"),
    ("Raid Cleared (Triumphant)", "raid_cleared", "triumphant"),
    ("Secret Area Found (Curious)", "secret_area", "curious"),
    ("Rank Up (Proud)", "rank_up", "proud"),
    ("Last Stand (Defiant)", "last_stand", "defiant"),
)


def _add_data_exports(pile: _Pile, rng: random.Random, start: int) -> None:
    folder = "data/csv"
    epoch = start - 2 * 86_400 + rng.random()
    results = []
    broken, interrupted = rng.sample(range(len(TESTS)), 2)
    for index, (name, context, tone) in enumerate(TESTS):
        record: dict[str, object] = {"test_name": name, "context": context, "tone": tone}
        if index == broken:
            record["error"] = "'cp1252' codec can't encode character '\\U0001f3c6' in position 31"
            record["success"] = False
            results.append(record)
            continue
        tokens = rng.randint(30, 60)
        speed = rng.uniform(12.0, 16.0)  # this harness ran the model on CPU through a wrapper
        record |= {
            "generation_time_ms": tokens / speed * 1000,
            "tokens": tokens,
            "tokens_per_second": speed,
            "banter_text": f"Sample line {index + 1} for {context.replace('_', ' ')}.",
        }
        if index == interrupted:
            record["error"] = "stream closed by server before the final chunk"
        record["success"] = True
        results.append(record)
    done = [r for r in results if r["success"]]
    total_ms = sum(float(r["generation_time_ms"]) for r in done)
    total_tokens = sum(int(r["tokens"]) for r in done)
    document = {
        "test_timestamp": epoch,
        "test_datetime": datetime.fromtimestamp(epoch, tz=UTC).replace(tzinfo=None).isoformat(),
        "total_tests": len(results),
        "successful_tests": len(done),
        "total_generation_time_ms": total_ms,
        "total_tokens": total_tokens,
        "overall_tokens_per_second": total_tokens / total_ms * 1000,
        "results": results,
    }
    pile.add(f"{folder}/baseline_test_results_{int(epoch)}.json", json.dumps(document))
    pile.add(
        f"{folder}/baseline_performance_summary.csv",
        _csv(
            _columns(
                "Test Name,Context,Tone,Generation Time (ms),Tokens,Tokens per Second,Success"
            ),
            [
                [
                    r["test_name"],
                    r["context"],
                    r["tone"],
                    f"{r['generation_time_ms']:.2f}",
                    r["tokens"],
                    f"{r['tokens_per_second']:.2f}",
                    "TRUE",
                ]
                for r in done
            ],
        ),
    )

    # A plain-text report of the same run: numbers in prose, nothing to parse as a table.
    speeds = [float(r["tokens_per_second"]) for r in done]
    text = [
        "BASELINE GENERATION REPORT",
        "==========================",
        f"Generated: {document['test_datetime'][:19].replace('T', ' ')}",
        "Model: llama3.1:8b-instruct-q4_0 (CPU offload)",
        "",
        f"Tests passed: {len(done)} of {len(results)}",
        f"Average generation time: {total_ms / len(done):.2f} ms",
        f"Average throughput: {_mean(speeds):.2f} tokens/second",
        f"Overall throughput: {document['overall_tokens_per_second']:.2f} tokens/second",
        f"Total tokens: {total_tokens}",
        "",
    ]
    pile.add("outputs/reports/integration/baseline_performance_report.txt", "\n".join(text))

    # A latency harness run: nested timing statistics per run.
    run_results = []
    for _ in range(3):
        mean = rng.uniform(0.06, 0.09)
        run_results.append(
            {
                "samples": 10,
                "p50_ms": mean * rng.uniform(0.95, 1.0),
                "p95_ms": mean * rng.uniform(1.1, 1.25),
                "p99_ms": mean * rng.uniform(1.25, 1.4),
                "mean_ms": mean,
                "stdev_ms": mean * rng.uniform(0.05, 0.12),
            }
        )
    means = [r["mean_ms"] for r in run_results]
    overall = _mean(means)
    spread = statistics.stdev(means)
    harness_epoch = start - 86_400 + rng.random()
    harness = {
        "test_name": "demo_baseline",
        "runs": 3,
        "samples_per_run": 10,
        "timing_stats": {
            "overall_mean_ms": overall,
            "overall_stdev_ms": spread,
            "run_results": run_results,
            "latency_percentiles": {"p50": statistics.median(means), "p95": max(means)},
            "cv_percent": spread / overall * 100,
            "outliers_detected": 0,
        },
        "environment": {
            "python_version": "3.12.4",
            "os": "Windows",
            "cuda_available": True,
            "gpu_name": "NVIDIA GeForce RTX 4070 Laptop GPU",
            "gpu_count": 1,
        },
        "confidence_interval_95": [overall - 1.96 * spread, overall + 1.96 * spread],
        "timestamp": harness_epoch,
    }
    pile.add(f"{folder}/baselines/demo_baseline_{int(harness_epoch)}.json", json.dumps(harness))
