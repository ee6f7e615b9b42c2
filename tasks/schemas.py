"""One Polars schema per table, named like the Parquet file it is written to.

files -> metrics -> (validated metrics, quarantine) -> facts -> agent_calls: each stage takes
and returns frames with these schemas, so a table means the same thing everywhere.
"""

from __future__ import annotations

import polars as pl

# tables/files.parquet: one row per file found under the sources, parsed or not.
FILES = pl.Schema(
    {
        "path": pl.Utf8,  # absolute path
        "source": pl.Utf8,  # the source folder it was found under
        "relative_path": pl.Utf8,  # posix path from the source folder's parent: "corpus/a/b.csv"
        "folder": pl.Utf8,  # parent folder of relative_path
        "format": pl.Utf8,  # csv | json | markdown | text | python | binary | empty
        "size_bytes": pl.Int64,
        "mtime": pl.Datetime("us", "UTC"),
        "sha256": pl.Utf8,
        "status": pl.Utf8,  # parsed | no_metrics | skipped | duplicate | error
        "reason": pl.Utf8,  # why a file is not parsed, or what went wrong; null when parsed
        "duplicate_of": pl.Utf8,  # relative_path of the first file with the same sha256
        "metric_rows": pl.Int64,
    }
)

# Dimensions a record may carry: who ran, with which options.
DIMENSIONS = pl.Schema(
    {
        "model": pl.Utf8,
        "quant": pl.Utf8,
        "num_gpu": pl.Int64,
        "num_ctx": pl.Int64,
        "temperature": pl.Float64,
        "top_p": pl.Float64,
        "top_k": pl.Int64,
        "backend": pl.Utf8,
        "config": pl.Utf8,  # a configuration label as the file writes it, e.g. g999_c4096_t0.4
        "prompt_index": pl.Int64,
        "timestamp": pl.Utf8,  # as written in the file; validation checks it parses
        "error": pl.Utf8,  # the record's error message, if any
        "success": pl.Boolean,  # the record's own success flag, if it has one
    }
)

# tables/metrics.parquet: one row per measured value, with provenance.
# The parsers emit every column but `status`; validation adds it.
PARSED_METRICS = pl.Schema(
    {
        "source_path": pl.Utf8,  # relative_path of the file
        "sha256": pl.Utf8,
        "format": pl.Utf8,
        "locator": pl.Utf8,  # the record: "row 3", a JSON pointer "/results/0", "table 2 row 5"
        "metric": pl.Utf8,  # canonical name, e.g. throughput_tok_s
        "raw_metric": pl.Utf8,  # the column, key path or label as written in the file
        "value": pl.Float64,  # in the canonical unit
        "unit": pl.Utf8,
        **DIMENSIONS,
    }
)
METRICS = pl.Schema({**PARSED_METRICS, "status": pl.Utf8})  # passed | warned | quarantined

# tables/quarantine.parquet: the rows that failed a critical expectation, and every reason.
QUARANTINE = pl.Schema({**PARSED_METRICS, "reasons": pl.List(pl.Utf8)})

# tables/facts.parquet: statistics computed from passing rows; the only thing agents see.
FACTS = pl.Schema(
    {
        "fact_id": pl.Utf8,  # stable, e.g. F012
        "topic": pl.Utf8,  # inventory | quality | coverage | performance
        "statement": pl.Utf8,  # one English sentence carrying the value(s)
        "value": pl.Float64,  # the headline number
        "unit": pl.Utf8,
        "numbers": pl.List(pl.Float64),  # every number the statement carries
        "model": pl.Utf8,
        "config": pl.Utf8,
        "source_rows": pl.Int64,  # how many validated metric rows it was computed from
        "rank": pl.Int64,  # lower is more important; the facts pack keeps the best ranked
    }
)

# tables/agent_calls.parquet: one row per LLM call.
AGENT_CALLS = pl.Schema(
    {
        "run": pl.Int64,
        "scenario": pl.Utf8,
        "agent": pl.Utf8,  # A | B
        "persona": pl.Utf8,  # DataCollector | InsightAgent
        "attempt": pl.Int64,  # 0 for the first draft, 1.. for retries
        "backend": pl.Utf8,  # ollama | embedded
        "model": pl.Utf8,
        "options": pl.Utf8,  # JSON of the model options sent
        "ttft_ms": pl.Float64,
        "tokens_per_s": pl.Float64,
        "eval_count": pl.Int64,
        "prompt_eval_count": pl.Int64,
        "load_ms": pl.Float64,
        "prompt_eval_ms": pl.Float64,
        "eval_ms": pl.Float64,
        "total_ms": pl.Float64,
        "done_reason": pl.Utf8,
        "guard_verdict": pl.Utf8,  # accepted | rejected
        "guard_reasons": pl.List(pl.Utf8),
        "gpu_util_pct": pl.Float64,  # null when there is no NVIDIA GPU
        "gpu_mem_used_mb": pl.Float64,
        "gpu_power_w": pl.Float64,
    }
)


def empty(schema: pl.Schema) -> pl.DataFrame:
    """An empty frame with the table's columns, so an empty table still has its schema."""
    return pl.DataFrame(schema=schema)


def conform(frame: pl.DataFrame, schema: pl.Schema) -> pl.DataFrame:
    """Select the schema's columns in order, casting types and adding missing ones as nulls."""
    if frame.is_empty():  # a select of literals alone would make one row of nulls
        return pl.DataFrame(schema=schema)
    return frame.select(
        [
            (pl.col(name) if name in frame.columns else pl.lit(None)).cast(dtype).alias(name)
            for name, dtype in schema.items()
        ]
    )
