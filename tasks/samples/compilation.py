"""Compilation backends: outputs/reports/compilation/ JSON with nested backends, and Markdown.

Two benches (mlp on CPU, transformer on CUDA); one backend fails, one succeeds beside an error,
and the Markdown table is glued to the line above it.
"""

from __future__ import annotations

import json
import random

from tasks.samples.common import _md_table, _Pile, _when

COMPILE_S = {
    "eager": (0.0, 0.0),
    "jit": (0.03, 0.3),
    "torch_compile": (1.0, 8.0),
    "onnx": (0.05, 0.4),
    "tensorrt": (10.0, 25.0),
}
GRAPH_PREVIEW = (
    "graph(%self : __torch__.Model, %x : Tensor):",
    "  %h : Tensor = aten::linear(%x, %w0, %b0)",
    "  %a : Tensor = aten::gelu(%h, %approx)",
    "  %y : Tensor = aten::linear(%a, %w1, %b1)",
    "  return (%y)",
)


def _compilation_backend(
    rng: random.Random, backend: str, base_ms: float, *, error: str | None = None, ok: bool = True
) -> dict:
    metadata: dict[str, object] = {
        "eager": {},
        "jit": {"strict": False, "frozen": True, "graph_preview": list(GRAPH_PREVIEW)},
        "torch_compile": {
            "backend": "inductor",
            "mode": "default",
            "fullgraph": False,
            "dynamic": False,
        },
        "onnx": {
            "opset": 17,
            "providers": ["CPUExecutionProvider"],
            "session_type": "onnxruntime",
        },
        "tensorrt": {"enabled_precisions": ["torch.float16"], "workspace_size": 1 << 28},
    }[backend]
    compile_time = rng.uniform(*COMPILE_S[backend])
    if ok:
        mean = base_ms * rng.uniform(0.4, 1.6)
        timings = {
            "mean_time_ms": mean,
            "std_time_ms": mean * rng.uniform(0.02, 0.3),
            "min_time_ms": mean * rng.uniform(0.7, 0.95),
            "max_time_ms": mean * rng.uniform(1.1, 1.8),
        }
    else:
        timings = dict.fromkeys(("mean_time_ms", "std_time_ms", "min_time_ms", "max_time_ms"), 0.0)
    compilation = (
        None
        if backend == "eager"
        else {
            "backend": {"jit": "torchscript", "torch_compile": "torch.compile"}.get(
                backend, backend
            ),
            "success": ok,
            "compile_time_s": compile_time if ok else None,
            "metadata": metadata if ok else {},
            "error": error,
        }
    )
    return {
        "backend": backend,
        "compilation": compilation,
        "benchmark": {
            "backend": backend,
            **timings,
            "metadata": {"compile_time_s": compile_time if ok else 0.0, **metadata},
        },
    }


def _add_compilation(pile: _Pile, rng: random.Random, start: int) -> None:
    folder = "outputs/reports/compilation"
    benches = (
        (
            "mlp_bench",
            {"name": "mlp", "device": "cpu", "batch_size": 4, "input_dim": 256, "hidden_dim": 512},
            {"eager": {}, "jit": {}, "torch_compile": {}, "onnx": {}},
            0.5,
        ),
        (
            "transformer_cuda_bench",
            {
                "name": "transformer",
                "device": "cuda",
                "batch_size": 2,
                "seq_len": 128,
                "embed_dim": 256,
                "num_heads": 4,
                "num_layers": 2,
            },
            {
                "eager": {},
                "jit": {},
                # Compilation failed: zero timings beside success=false.
                "torch_compile": {
                    "ok": False,
                    "error": "BackendCompilerFailed: inductor could not find a C++ compiler",
                },
                "onnx": {},
                # The engine built but fell back for some layers: success=true beside an error.
                "tensorrt": {
                    "error": "3 of 41 layers ran in PyTorch: unsupported op aten::scaled_dot_"
                    "product_attention"
                },
            },
            0.6,
        ),
    )
    clock = start + 2 * 86_400
    for stem, model, backends, base_ms in benches:
        clock += rng.randint(300, 4000)
        generated = _when(clock, rng.randrange(1_000_000))
        document = {
            "generated_at": generated.isoformat(),
            "model": {**model, "dtype": "torch.float32"},
            "settings": {"runs": 10, "warmup_runs": 3, "backends": list(backends)},
            "backends": {
                name: _compilation_backend(rng, name, base_ms, **options)
                for name, options in backends.items()
            },
        }
        stamp = generated.strftime("%Y%m%d-%H%M%S")
        pile.add(f"{folder}/{stem}_{stamp}.json", json.dumps(document))
        table_rows = []
        for name, entry in document["backends"].items():
            compilation = entry["compilation"] or {"success": True, "compile_time_s": 0.0}
            bench = entry["benchmark"]
            notes = "; ".join(
                f"{key}={value}"
                for key, value in bench["metadata"].items()
                if key != "compile_time_s" and not isinstance(value, list)
            )
            if compilation.get("error"):
                notes = (notes + "; " if notes else "") + f"error={compilation['error']}"
            table_rows.append(
                [
                    name,
                    "yes" if compilation["success"] else "no",
                    f"{compilation['compile_time_s'] or 0.0:.4f}",
                    *(f"{bench[k]:.3f}" for k in ("mean_time_ms", "std_time_ms")),
                    *(f"{bench[k]:.3f}" for k in ("min_time_ms", "max_time_ms")),
                    notes,
                ]
            )
        table = _md_table(
            ["Backend", "Success", "Compile Time (s)", "Mean (ms)", "Std (ms)"]
            + ["Min (ms)", "Max (ms)", "Notes"],
            table_rows,
        )
        # The writer forgot the blank line, so the table starts on the DType line.
        markdown = (
            f"# Compilation Benchmark Report - Generated: {generated.isoformat()}\n"
            f"- Model: {model['name']}\n- Device: {model['device']}\n"
            f"- DType: torch.float32 {table}\n"
        )
        pile.add(f"{folder}/{stem}_{stamp}.md", markdown)
