"""One Polars schema per table, named like the Parquet file it is written to.

files -> metrics -> (validated metrics, quarantine) -> findings -> (agent_calls, claims): each
stage takes and returns frames with these schemas, so a table means the same thing everywhere.
"""

from __future__ import annotations

import polars as pl

# Text that repeats from row to row (a file's path and hash, a metric's name, a model, a role)
# is held as categories: 4 bytes a row where a string took 16. On the 3.8 million rows of a
# 50 MB CSV a text column took 58 MB; the parse peaked at 786 MB instead of 1,286 MB. The
# tables on disk hold it as plain text (tasks.tables.write_parquet): categories are how this
# program holds them, not what a reader of the tables gets.
REPEATED_TEXT = pl.Categorical()

# tables/files.parquet: one row per file found under the sources, parsed or not.
FILES = pl.Schema(
    {
        "path": pl.Utf8,  # absolute path
        "source": pl.Utf8,  # the source folder it was found under
        "relative_path": pl.Utf8,  # posix path from the source folder's parent: "corpus/a/b.csv"
        # (from further up when two sources share a name: "a/tools/x.json", "b/tools/x.json")
        "folder": pl.Utf8,  # parent folder of relative_path
        "format": pl.Utf8,  # csv | json | markdown | text | python | binary | empty
        "size_bytes": pl.Int64,
        "mtime": pl.Datetime("us", "UTC"),
        "sha256": pl.Utf8,
        "status": pl.Utf8,  # parsed | no_metrics | skipped | duplicate | error
        "reason": pl.Utf8,  # why a file is not parsed, or what went wrong; null when parsed
        "duplicate_of": pl.Utf8,  # relative_path of the first file with the same sha256
        "metric_rows": pl.Int64,
        "reader": pl.Utf8,  # which reader parsed it: "llama-bench json", "generic csv", ...
        "reader_version": pl.Utf8,  # the tool's version or schema as the file states it
        "role": pl.Utf8,  # measurement | aggregate | copy | target | narrative (see ROLES)
        "role_evidence": pl.Utf8,  # why the file has that role, in words
        "data_time_min": pl.Utf8,  # the data's own earliest and latest timestamps (ISO 8601)
        "data_time_max": pl.Utf8,
    }
)

# What a file or a metric row is, as evidence for an analysis:
# measurement: a value measured once, here first (a raw run, a tool's own export);
# aggregate: a statistic of measurements held elsewhere (a summary file, a "mean_" column);
# copy: a value another, more primary file already holds (copy_of names it);
# target: a plan or goal ("Expected performance: 110 tok/s");
# narrative: a number in a report's prose, which no tool or table measured.
ROLES = ("measurement", "aggregate", "copy", "target", "narrative")

# Dimensions a record may carry: who ran, with which options.
DIMENSIONS = pl.Schema(
    {
        "model": REPEATED_TEXT,
        "quant": REPEATED_TEXT,
        "num_gpu": pl.Int64,
        "num_ctx": pl.Int64,
        "temperature": pl.Float64,
        "top_p": pl.Float64,
        "top_k": pl.Int64,
        "backend": REPEATED_TEXT,
        "config": REPEATED_TEXT,  # a configuration label as written, e.g. g999_c4096_t0.4
        "prompt_index": pl.Int64,
        "timestamp": pl.Utf8,  # as written in the file; validation checks it parses
        "error": pl.Utf8,  # the record's error message, if any
        "success": pl.Boolean,  # the record's own success flag, if it has one
        # The run's setup beyond model options, where the file or its path says it.
        "runtime": REPEATED_TEXT,  # ollama | llama.cpp | vllm | ..., or a language/runtime name
        "hardware": REPEATED_TEXT,  # GPU or CPU as the file names it
        "concurrency": pl.Int64,  # requests in flight
        "input_tokens": pl.Int64,  # prompt length the run asked for (llama-bench n_prompt)
        "output_tokens": pl.Int64,  # generation length the run asked for (n_gen)
        "batch_size": pl.Int64,
        "threads": pl.Int64,
        "flash_attn": pl.Boolean,
        "run_index": pl.Int64,  # repetition or run number
        "extra": pl.Utf8,  # any further dimensions, a JSON object with sorted keys
    }
)

# Who a row's model is, normalised so name variants group together ("llama3.1:q4_0" and
# "llama3.1:8b-instruct-q4_0" are one model); `model` keeps the name as written.
MODEL_IDENTITY = pl.Schema(
    {
        "model_id": REPEATED_TEXT,  # family:params-variant-quant, e.g. "llama3.1:8b-instruct-q4_0"
        "model_family": REPEATED_TEXT,  # llama3.1, gemma3, qwen3, gpt-oss
        "model_params": REPEATED_TEXT,  # parameter count as written: "8b", "270m"
        "model_variant": REPEATED_TEXT,  # instruct, base, chat, ...
    }
)

# tables/metrics.parquet: one row per measured value, with provenance.
# The parsers emit every column but `status`; validation adds it.
PARSED_METRICS = pl.Schema(
    {
        "source_path": REPEATED_TEXT,  # relative_path of the file
        "sha256": REPEATED_TEXT,
        "format": REPEATED_TEXT,
        "locator": pl.Utf8,  # the record: "row 3", a JSON pointer "/results/0", "table 2 row 5"
        "metric": REPEATED_TEXT,  # canonical name, e.g. throughput_tok_s
        "raw_metric": REPEATED_TEXT,  # the column, key path or label as written in the file
        "value": pl.Float64,  # in the canonical unit
        "unit": REPEATED_TEXT,
        # null: one measurement; else which statistic of several the value is: mean, median,
        # p50, p99, std, min, max, count (a tool's summary of its own repetitions or requests)
        "statistic": REPEATED_TEXT,
        "resolution": pl.Float64,  # half a unit of the last digit written, in `unit`
        **DIMENSIONS,
        **MODEL_IDENTITY,
        "role": REPEATED_TEXT,  # one of ROLES
        "copy_of": pl.Utf8,  # for a copy: "source_path locator" of the value it repeats
    }
)
METRICS = pl.Schema({**PARSED_METRICS, "status": REPEATED_TEXT})  # passed | warned | quarantined

# tables/quarantine.parquet: the rows that failed a critical expectation, and every reason.
QUARANTINE = pl.Schema({**PARSED_METRICS, "reasons": pl.List(pl.Utf8)})

# tables/findings.parquet: what the analysis found, one typed row per finding; the only thing the
# agents see, and what every report section and claim renders from (tasks.facts.findings).
FINDING_KINDS = (
    "ranking",  # levels of one dimension (models, backends) ordered by a metric
    "effect",  # one varying dimension of an experiment, tested
    "configuration",  # one configuration's repeated measurements summarised
    "cold_start",  # first calls after a load, or TTFT dominated by loading
    "outlier",  # a measurement far from its group, named with its row
    "failure_cause",  # quarantined records grouped by their error
    "coverage_gap",  # what the pile does not measure
    "data_quality",  # validation counts
    "inventory",  # files and folders
    # what changed since earlier runs (tasks/history): a series' change point, or a
    # configuration that appears or disappears
    "regression",
    "improvement",
    "new_configuration",
    "removed_configuration",
)
VERDICTS = ("significant", "differs", "no measurable difference", "inconclusive", "not testable")
FINDINGS = pl.Schema(
    {
        "finding_id": pl.Utf8,  # F001.., in rank order
        "rank": pl.Int64,  # 1 is the most important
        "kind": pl.Utf8,  # one of FINDING_KINDS
        "topic": pl.Utf8,  # inventory | quality | coverage | performance: which persona reads it
        "subject": pl.Utf8,  # what is compared or counted: model, num_gpu, backend, error ...
        "metric": pl.Utf8,
        "unit": pl.Utf8,
        "direction": pl.Utf8,  # higher | lower: which way the metric is better
        "experiment": pl.Utf8,  # the file it is scoped to; null: the whole pile
        # that file as the statement names it: its name, with the folders that tell it apart
        "file": pl.Utf8,
        "model": pl.Utf8,  # the model it is scoped to, if one
        "config": pl.Utf8,  # the configuration it is scoped to, if one
        "levels": pl.List(pl.Utf8),  # the compared levels, best first (ranking, effect)
        "level_medians": pl.List(pl.Float64),  # their medians, in the same order
        "level_n": pl.List(pl.Int64),  # their distinct measurements, in the same order
        "n": pl.Int64,  # distinct measurements (or records, files) it rests on
        "median": pl.Float64,  # of the best level, or of the configuration
        "spread": pl.Float64,  # interquartile range of the values behind `median`
        "ci_low": pl.Float64,  # 95% interval of `median` (statistics.median_ci)
        "ci_high": pl.Float64,
        "effect_pct": pl.Float64,  # best over runner-up, %
        "range_pct": pl.Float64,  # highest level median over the lowest, %
        "effect_size": pl.Float64,  # Cliff's delta, best against runner-up
        "test": pl.Utf8,  # kruskal-wallis | mann-whitney
        "p_value": pl.Float64,
        # the best against the runner-up alone (Mann-Whitney): what a "best" rests on
        "p_top": pl.Float64,
        "verdict": pl.Utf8,  # one of VERDICTS; null for counts
        "value": pl.Float64,  # the headline number
        "statement": pl.Utf8,  # the finding in one English sentence, rendered by code
        "gist": pl.Utf8,  # the same in words alone (no numbers): what an agent's prompt shows
        "numbers": pl.List(pl.Float64),  # every number the statement carries
        "source_rows": pl.List(pl.Utf8),  # "source_path locator" of the rows behind it
        "importance": pl.Float64,  # what the rank sorts by
    }
)

# tables/claims.parquet: every claim an agent made or the fallback rendered, one row each.
CLAIMS = pl.Schema(
    {
        "run": pl.Int64,
        "scenario": pl.Utf8,
        "agent": pl.Utf8,  # A | B
        "section": pl.Utf8,  # data_inventory, coverage, ... (the persona's JSON keys)
        "finding_id": pl.Utf8,  # the finding it cites
        "sentence": pl.Utf8,  # the words as written (by the model, or the finding's statement)
        "mitigation": pl.Utf8,  # risks only
        "rendered": pl.Utf8,  # the published text, evidence and id included
        "written_by": pl.Utf8,  # model | findings
        "published": pl.Boolean,  # false: rejected, see reasons
        "reasons": pl.List(pl.Utf8),
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
        "cached": pl.Boolean,  # an earlier run's call, its result reused (Prefect's cache)
        "guard_verdict": pl.Utf8,  # accepted | rejected
        "guard_reasons": pl.List(pl.Utf8),
        "gpu_util_pct": pl.Float64,  # null when there is no NVIDIA GPU
        "gpu_mem_used_mb": pl.Float64,
        "gpu_power_w": pl.Float64,
    }
)


def record_id() -> pl.Expr:
    """An integer per record (source_path, locator) of a metrics table: grouping and joining
    on it beats two strings. The pair's dense rank: on 3.8 million rows it peaked 170 MB above
    the table where the categories of "path + locator" texts took 280 MB, and those categories
    stayed in Polars' global ones (77 MB) to the end of the process."""
    return pl.struct("source_path", "locator").rank("dense").alias("record_id")


def group_numbers(keys: pl.DataFrame) -> pl.Series:
    """Each row's group as a number: equal where the rows are equal in every column, nulls
    included (a history series' fingerprint; the configuration a value repeats). Built a
    column at a time: each column's values as codes (a category's own code, else the value's
    rank), folded into the number so far, which is ranked again only before it would
    overflow. A unique and a join on the 25 columns themselves encoded every row's columns:
    0.43 GB above the rows on a 50 MB CSV's 1.3 million measurements."""
    number = pl.zeros(keys.height, dtype=pl.UInt64, eager=True)
    bound = 1  # every number is below it
    nulls = keys.null_count().row(0)
    for (name, dtype), null_count in zip(keys.schema.items(), nulls, strict=True):
        if null_count == keys.height:
            continue  # null throughout (or no rows): it tells no rows apart
        column = pl.col(name)
        code = column.to_physical() + 1 if dtype == pl.Categorical else column.rank("dense")
        codes = keys.select(code.cast(pl.UInt64).fill_null(0)).to_series()
        width = codes.max() + 1
        if bound * width >= 2**64:
            number = number.rank("dense").cast(pl.UInt64)
            bound = (number.max() or 0) + 1
        number = number * width + codes
        bound *= width
    return number.alias("group")


def label_per_group(keys: pl.DataFrame, label: pl.Expr) -> pl.Series:
    """`label` (an expression on the keys' columns) for each row, as a category: worked out once
    per distinct row of the keys (group_numbers) and gathered to the rows. A handful of labels
    over a million rows, written per row as text, took 16 bytes a row and more beside the text
    itself (a configuration's label: 93 MB over a 50 MB CSV's 1.3 million measurements)."""
    number = group_numbers(keys)
    first = number.is_first_distinct()
    labels = keys.filter(first).select(
        label.cast(REPEATED_TEXT).alias("_label"), _number=number.filter(first)
    )
    return (
        number.to_frame("_number")
        .join(labels, on="_number", how="left", maintain_order="left")
        .get_column("_label")
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


def aligned_chunks(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with every column cut into the same chunks (zero-copy slices of one-chunk
    columns). A concat of batches leaves all-null columns in one chunk and the others in one
    per batch; Polars then copies the whole table into one chunk at its next select, which at
    100,000 files took 3 s and 2 GB, at every stage that selects. A column of one value (nulls
    only, or one file's path in a big file's rows) becomes one literal instead: Polars keeps a
    literal as a scalar beside chunks of any layout, where cutting it would write out a value
    per row (59 MB for a path on 3.8 million rows)."""
    if frame.width == 0 or frame.height == 0:
        return frame
    layouts = _layouts(frame)
    lengths = max(layouts.values(), key=len)
    if len(lengths) == 1:
        return frame
    uneven = [name for name, layout in layouts.items() if layout != lengths]
    if not uneven:
        return frame
    one_value = frame.select(pl.col(name).n_unique() == 1 for name in uneven).row(0)
    literal = [name for name, single in zip(uneven, one_value, strict=True) if single]
    firsts = frame.select(pl.col(literal).first()).row(0) if literal else ()
    values = dict(zip(literal, firsts, strict=True))
    return frame.with_columns(
        pl.lit(values[name], dtype=frame.schema[name]).alias(name)
        if name in values
        else cut_into(frame.get_column(name), lengths)
        for name in uneven
    )


def concat_one_chunk(frames: list[pl.DataFrame]) -> pl.DataFrame:
    """Frames of one schema as one frame in one chunk per column; a column of one value (nulls
    only, or one file's path on all of a big file's rows) as a literal, which Polars keeps as a
    scalar. Column by column, each column dropped from the frames once copied: Polars' own
    rechunk writes the literals out and holds the pieces and the whole at once (for the chunks
    of a 50 MB CSV, 800 MB more), and the pile step on the same rows in 11 chunks took 1.3 GB
    more than in one. The list is emptied of its columns as they are copied."""
    schema = frames[0].schema
    whole: list[pl.Series] = []
    literals: dict[str, object] = {}
    for name in schema.names():
        column = pl.concat([frame.select(name) for frame in frames], rechunk=False)
        # In place, so that no list of the caller's keeps this column's pieces alive.
        frames[:] = [frame.drop(name) for frame in frames]
        value = pl.col(name)
        one_value = value.is_null().all() | (
            (value.null_count() == 0) & (value == value.first()).all()
        )
        if column.select(one_value).item():
            literals[name] = column.select(value.first()).item()
        else:
            whole.append(column.to_series().rechunk())
    return (
        pl.DataFrame(whole)
        .with_columns(pl.lit(v, dtype=schema[name]).alias(name) for name, v in literals.items())
        .select(schema.names())
    )


def chunk_layout(frame: pl.DataFrame) -> list[int]:
    """The chunk lengths of the frame's most divided column: what aligned_chunks cuts to."""
    return max(_layouts(frame).values(), key=len) if frame.width else [frame.height]


def _layouts(frame: pl.DataFrame) -> dict[str, list[int]]:
    # Each column looked at through a frame of its own: taking a literal column out of the
    # frame writes it out in full, and the frame would keep that copy. A column of nulls only
    # counts as one chunk without being looked at (most dimensions of a pile: each would be
    # written out, if only for the moment, at every call).
    nulls = frame.select(pl.all().null_count()).row(0)
    return {
        name: [frame.height]
        if count == frame.height
        else frame.select(name).to_series().chunk_lengths()
        for name, count in zip(frame.columns, nulls, strict=True)
    }


def cut_into(column: pl.Series, lengths: list[int]) -> pl.Series:
    """The column in chunks of these lengths: zero-copy slices of it (rechunked first only
    when its own chunks are not one and differ)."""
    if column.chunk_lengths() == lengths:
        return column
    whole, offset, pieces = column.rechunk() if column.n_chunks() > 1 else column, 0, []
    for length in lengths:
        pieces.append(whole.slice(offset, length))
        offset += length
    return pl.concat(pieces, rechunk=False) if len(pieces) > 1 else whole
