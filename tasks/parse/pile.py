"""What the pile's values are, once every file is parsed: identity, setup, time, role, copies.

In: the FILES inventory and the PARSED_METRICS rows of the whole pile (this run's and those
kept from the last). Out: the same rows with
- the model where only the path names it ("gemma3_270m_param_tuning.csv"), or where a sibling
  file of the same run names it (groq_70b individual responses <- groq_70b summary), and
  every model's normalised identity (tasks.parse.identity); a family+quant named without a
  parameter count takes the pile's one count for it (llama3.1:q4_0 -> 8b);
- dimensions spelled in paths (ctx512, gpu80, temp08, concurrency-100, run_3, a runtime name)
  and timestamps in names (20251002-170837, 1759098967) where the rows have none;
- a role per row (tasks.schemas.ROLES) and, for a value another file already holds, copy_of;
and FILES with each file's role, the evidence for it, and the data's own time range.
Written once for the pile because copies and siblings are relations between files.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import polars as pl

from tasks.parse.dimensions import decode_dimension
from tasks.parse.identity import model_identity, model_in_path
from tasks.schemas import MODEL_IDENTITY

# Lower is more primary: a copy points at a row of a lower rank than its own.
_RANK = {"tool": 0, "measurement": 1, "aggregate": 2, "table": 3, "narrative": 4}
_TARGET_WORDS = re.compile(
    r"(?i)\b(target|expected|expectation|goal|projected|projection|estimate[ds]?|budget|"
    r"objective|required|requirement|sla|slo|planned|aim)\b"
)
_SUMMARY_NAME = re.compile(
    r"(?i)(?:^|[-_.])(summary|summaries|aggregate[ds]?|stats|digest)(?:[-_.]|$)"
)
_SIBLING_WORDS = re.compile(
    r"(?i)(?:^|[-_])(summary|individual(?:_responses)?|responses|runs|results|raw|per_request)(?=[-_]|$)"
)
_SERVING_READERS = ("vllm", "guidellm", "genai-perf", "aiperf", "llmperf")
_PATH_DIMENSIONS = (
    (re.compile(r"(?<![a-z0-9])ctx[-_=]?(\d+)(?![a-z0-9])"), "num_ctx", int),
    (re.compile(r"(?<![a-z0-9])(?:gpu|ngl)[-_=]?(\d+)(?![a-z0-9])"), "num_gpu", int),
    (re.compile(r"(?<![a-z0-9])temp[-_=]?(\d+(?:\.\d+)?)(?![a-z0-9])"), "temperature", None),
    (re.compile(r"(?<![a-z0-9])(?:concurrency|conc)[-_=]?(\d+)(?![a-z0-9])"), "concurrency", int),
    (re.compile(r"(?<![a-z0-9])(?:run|rep|repeat)[-_=]?(\d+)(?![a-z0-9])"), "run_index", int),
    (re.compile(r"(?<![a-z0-9])(?:bs|batch)[-_=]?(\d+)(?![a-z0-9])"), "batch_size", int),
)
_SERVING_CONCURRENCY = re.compile(r"(?<![a-z0-9])c(\d+)(?![a-z0-9])")
_RUNTIMES = {
    "ollama": "ollama",
    "llamacpp": "llama.cpp",
    "llama.cpp": "llama.cpp",
    "vllm": "vllm",
    "sglang": "sglang",
    "tensorrt-llm": "tensorrt-llm",
    "trtllm": "tensorrt-llm",
    "tgi": "tgi",
    "mlx": "mlx",
    "rust": "rust",
    "python": "python",
    "golang": "go",
}
_RUNTIME_WORD = re.compile(
    r"(?<![a-z0-9])(" + "|".join(map(re.escape, _RUNTIMES)) + r")(?![a-z0-9])"
)
_STAMP = re.compile(r"(?<!\d)(20\d{2})(\d{2})(\d{2})[-_T]?(\d{2})(\d{2})(\d{2})(?!\d)")
_EPOCH = re.compile(r"(?<!\d)(1[5-9]\d{8})(?!\d)")
_DATE = re.compile(r"(?<!\d)(20\d{2})-?(\d{2})-?(\d{2})(?!\d)")
_DATETIME_FORMATS = (
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
    "%Y%m%d-%H%M%S",
    "%Y%m%d_%H%M%S",
    "%Y-%m-%d",
)
_OPTIONS = ("num_gpu", "num_ctx", "temperature")


def resolve_pile(files: pl.DataFrame, metrics: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """FILES with role, evidence and data time range; metrics with identity, role, copy_of."""
    readers = files.select("relative_path", "reader").rename({"relative_path": "source_path"})
    rows = metrics.join(readers, on="source_path", how="left", maintain_order="left")
    rows = _fill_from_paths(rows)
    rows = _fill_from_siblings(rows)
    rows = _with_identity(rows)
    rows = _with_roles(rows)
    rows = _link_copies(rows)
    resolved = rows.drop("reader", "_rank").select(metrics.columns)
    return _file_roles(files, resolved), resolved


# --- models, dimensions and times named in paths ---------------------------------------------


def _path_facts(path: str, reader: str | None) -> dict[str, object]:
    """Dimensions a path spells out, for rows that do not state them."""
    lowered = path.lower()
    found: dict[str, object] = {}
    model = model_in_path(path)
    if model:
        found["model"] = model
    for pattern, dimension, _ in _PATH_DIMENSIONS:
        matches = list(pattern.finditer(lowered))
        match = matches[-1] if matches else None  # the last one: nearest the file
        if match:
            raw = match[1]
            if dimension == "temperature" and "." not in raw and raw.startswith("0"):
                raw = f"0.{raw[1:]}"  # temp08 -> 0.8
            value = decode_dimension(dimension, raw)
            if value is not None:
                found[dimension] = value
    if reader and reader.startswith(_SERVING_READERS) and "concurrency" not in found:
        match = _SERVING_CONCURRENCY.search(lowered.rsplit("/", 1)[-1])
        if match:
            found["concurrency"] = int(match[1])
    runtime = _RUNTIME_WORD.search(lowered)
    if runtime:
        found["runtime"] = _RUNTIMES[runtime[1]]
    stamp = _time_in_name(path.rsplit("/", 1)[-1]) or _time_in_name(path)
    if stamp:
        found["timestamp"] = stamp
    return found


def _time_in_name(name: str) -> str | None:
    match = _STAMP.search(name)
    if match:
        y, mo, d, h, mi, s = match.groups()
        return f"{y}-{mo}-{d}T{h}:{mi}:{s}"
    match = _EPOCH.search(name)
    if match:
        return datetime.fromtimestamp(int(match[1]), tz=UTC).isoformat()
    match = _DATE.search(name)
    if match and 1 <= int(match[2]) <= 12 and 1 <= int(match[3]) <= 31:
        return f"{match[1]}-{match[2]}-{match[3]}"
    return None


def _fill_from_paths(rows: pl.DataFrame) -> pl.DataFrame:
    paths = rows.select("source_path", "reader").unique()
    facts = [(p, _path_facts(p, r)) for p, r in paths.iter_rows()]
    names = [
        "model",
        "num_ctx",
        "num_gpu",
        "temperature",
        "concurrency",
        "run_index",
        "batch_size",
        "runtime",
        "timestamp",
    ]
    table = pl.DataFrame(
        {"source_path": [p for p, _ in facts]}
        | {f"_path_{n}": [f.get(n) for _, f in facts] for n in names},
        schema={"source_path": pl.Utf8} | {f"_path_{n}": rows.schema[n] for n in names},
    )
    rows = rows.join(table, on="source_path", how="left", maintain_order="left")
    return rows.with_columns([pl.coalesce(n, f"_path_{n}").alias(n) for n in names]).drop(
        [f"_path_{n}" for n in names]
    )


def _sibling_key(path: str) -> str:
    """A run's name without the words that tell its files apart: ".../x__summary__groq_70b.json"
    and ".../x__individual__groq_70b.json" -> ".../x__groq_70b"."""
    folder, _, name = path.rpartition("/")
    stem = name.rsplit(".", 1)[0]
    key = _SIBLING_WORDS.sub("", stem).strip("-_")
    folder = "/".join(p for p in folder.split("/") if not _SIBLING_WORDS.fullmatch(p))
    return f"{folder}/{key}"


def _fill_from_siblings(rows: pl.DataFrame) -> pl.DataFrame:
    """Rows without a model take the one model of the sibling files of the same run."""
    paths = rows["source_path"].unique().to_list()
    keys = pl.DataFrame(
        {"source_path": paths, "_sibling": [_sibling_key(p) for p in paths]},
        schema={"source_path": pl.Utf8, "_sibling": pl.Utf8},
    )
    keyed = rows.join(keys, on="source_path", how="left", maintain_order="left")
    models = (
        keyed.filter(pl.col("model").is_not_null())
        .group_by("_sibling")
        .agg(pl.col("model").unique().alias("_models"))
        .filter(pl.col("_models").list.len() == 1)
        .select("_sibling", pl.col("_models").list.first().alias("_sibling_model"))
    )
    return (
        keyed.join(models, on="_sibling", how="left", maintain_order="left")
        .with_columns(pl.coalesce("model", "_sibling_model").alias("model"))
        .drop("_sibling", "_sibling_model")
    )


def _with_identity(rows: pl.DataFrame) -> pl.DataFrame:
    names = rows["model"].drop_nulls().unique().to_list()
    identities = {name: model_identity(name) for name in names}
    # One parameter count for a family+quant in the whole pile fills the names that omit it.
    counts: dict[tuple[str, str | None], set[str]] = {}
    for identity in identities.values():
        if identity and identity.params:
            counts.setdefault((identity.family, identity.quant), set()).add(identity.params)
            counts.setdefault((identity.family, None), set()).add(identity.params)
    table = []
    for name, identity in identities.items():
        if identity is None:
            continue
        if identity.params is None and identity.quant is not None:
            known = counts.get((identity.family, identity.quant), set())
            if len(known) == 1:
                identity = model_identity(f"{identity.family}:{next(iter(known))}-{identity.quant}")
        table.append((name, *identity[:4]))
    frame = pl.DataFrame(table, schema={"model": pl.Utf8, **MODEL_IDENTITY}, orient="row")
    rows = rows.drop(MODEL_IDENTITY.names())
    return rows.join(frame, on="model", how="left", maintain_order="left")


# --- roles and copies -------------------------------------------------------------------------


def _with_roles(rows: pl.DataFrame) -> pl.DataFrame:
    reader = pl.col("reader").fill_null("")
    name = pl.col("source_path").str.split("/").list.last()
    from_tool = ~reader.str.starts_with("generic")
    summary_file = name.str.contains(_SUMMARY_NAME.pattern)
    table_row = pl.col("locator").str.starts_with("table")
    target = pl.col("raw_metric").str.contains(_TARGET_WORDS.pattern) | pl.col("config").fill_null(
        ""
    ).str.contains(_TARGET_WORDS.pattern)
    kind = (
        pl.when(from_tool & summary_file)
        .then(pl.lit("aggregate"))  # a tool's summary.json repeats its runs' files
        .when(from_tool)
        .then(pl.lit("tool"))
        .when(pl.col("format") == "markdown")
        .then(pl.when(table_row).then(pl.lit("table")).otherwise(pl.lit("narrative")))
        .when(summary_file | pl.col("statistic").is_not_null())
        .then(pl.lit("aggregate"))
        .otherwise(pl.lit("measurement"))
    )
    role = (
        pl.when(target)
        .then(pl.lit("target"))
        .when(pl.col("_kind").is_in(["tool", "measurement", "table"]))
        .then(pl.lit("measurement"))
        .otherwise(pl.col("_kind"))
    )
    return (
        rows.with_columns(kind.alias("_kind"))
        .with_columns(role.alias("role"), pl.col("_kind").replace_strict(_RANK).alias("_rank"))
        .drop("_kind")
        .with_columns(pl.lit(None, dtype=pl.Utf8).alias("copy_of"))
    )


def _link_copies(rows: pl.DataFrame) -> pl.DataFrame:
    """A value that a more primary file holds (same metric, the same model when both name one,
    no option that differs, equal within the precision written) becomes a copy of it."""
    numbered = rows.with_row_index("_row")
    usable = numbered.filter(pl.col("value").is_not_null() & (pl.col("role") != "target"))
    links: list[pl.DataFrame] = []
    copied = pl.Series("_row", [], dtype=pl.UInt32)
    for rank in sorted(set(usable["_rank"].unique().to_list()) - {0}):
        candidates = usable.filter(pl.col("_rank") == rank)
        # A copy is never a primary: a report's value links to the raw row, not to the summary
        # row that repeats it.
        primaries = usable.filter(
            (pl.col("_rank") < rank) & ~pl.col("_row").is_in(copied.implode())
        ).join(candidates.select("metric").unique(), on="metric", how="semi")
        if primaries.is_empty():
            continue
        found = _nearest_equal(candidates, primaries)
        links.append(found)
        copied = pl.concat([copied, found["_row"]])
    if not links:
        return rows
    found = pl.concat(links).unique("_row", keep="first")
    return (
        numbered.join(found, on="_row", how="left", maintain_order="left")
        .with_columns(
            pl.coalesce("_copy_of", "copy_of").alias("copy_of"),
            pl.when(pl.col("_copy_of").is_not_null())
            .then(pl.lit("copy"))
            .otherwise(pl.col("role"))
            .alias("role"),
        )
        .drop("_row", "_copy_of")
    )


def _nearest_equal(candidates: pl.DataFrame, primaries: pl.DataFrame) -> pl.DataFrame:
    """(_row, _copy_of) of candidates whose nearest primary value, by metric and model, is equal
    within the coarser written resolution and agrees on every option both name."""
    keep = ["value", "resolution", "metric", "model_id", "source_path", "locator", *_OPTIONS]
    right = primaries.select(keep).rename({c: f"_p_{c}" for c in keep if c != "metric"})
    matches = []
    for by_model in (True, False):
        left = candidates.filter(pl.col("model_id").is_not_null() == by_model)
        if left.is_empty():
            continue
        by = ["metric", "model_id"] if by_model else ["metric"]
        primary = right.with_columns(pl.col("_p_model_id").alias("model_id")) if by_model else right
        primary = primary.filter(pl.col("model_id").is_not_null()) if by_model else primary
        joined = left.sort(*by, "value").join_asof(
            primary.sort(*by, "_p_value"),
            left_on="value",
            right_on="_p_value",
            by=by,
            strategy="nearest",
            check_sortedness=False,  # sorted within each `by` group, which Polars cannot check
        )
        tolerance = pl.max_horizontal("resolution", "_p_resolution").fill_null(0.0) + 1e-9 * (
            pl.col("value").abs()
        )
        agrees = pl.all_horizontal(
            [
                pl.col(o).is_null() | pl.col(f"_p_{o}").is_null() | (pl.col(o) == pl.col(f"_p_{o}"))
                for o in _OPTIONS
            ]
        )
        matches.append(
            joined.filter(
                pl.col("_p_value").is_not_null()
                & ((pl.col("value") - pl.col("_p_value")).abs() <= tolerance)
                & agrees
                & (pl.col("_p_source_path") != pl.col("source_path"))
            ).select(
                "_row",
                pl.format("{} {}", "_p_source_path", "_p_locator").alias("_copy_of"),
            )
        )
    if not matches:
        return pl.DataFrame(schema={"_row": pl.UInt32, "_copy_of": pl.Utf8})
    return pl.concat(matches)


# --- files ------------------------------------------------------------------------------------


def _parsed_time(column: str) -> pl.Expr:
    # The offset is dropped: times are compared as written (most files write UTC or none).
    text = pl.col(column).str.replace(r"(?:Z|[+-]\d{2}:?\d{2})$", "")
    return pl.coalesce(
        [text.str.strptime(pl.Datetime("us"), f, strict=False) for f in _DATETIME_FORMATS]
    )


def _file_roles(files: pl.DataFrame, rows: pl.DataFrame) -> pl.DataFrame:
    per_file = (
        rows.with_columns(_parsed_time("timestamp").alias("_time"))
        .group_by("source_path")
        .agg(
            pl.len().alias("_rows"),
            pl.col("role").mode().sort().first().alias("_role"),
            (pl.col("role") == "copy").sum().alias("_copies"),
            (pl.col("role") == "narrative").sum().alias("_narrative"),
            (pl.col("role") == "target").sum().alias("_targets"),
            pl.col("statistic").is_not_null().sum().alias("_statistics"),
            pl.col("_time").min().dt.strftime("%Y-%m-%dT%H:%M:%S").alias("_min"),
            pl.col("_time").max().dt.strftime("%Y-%m-%dT%H:%M:%S").alias("_max"),
        )
        .rename({"source_path": "relative_path"})
    )
    evidence = (
        pl.when(pl.col("_role") == "copy")
        .then(pl.format("{} of {} values repeat a more primary file's", "_copies", "_rows"))
        .when(pl.col("_role") == "narrative")
        .then(pl.format("{} of {} values are numbers in a report's prose", "_narrative", "_rows"))
        .when(pl.col("_role") == "target")
        .then(pl.format("{} of {} values are targets or expectations", "_targets", "_rows"))
        .when((pl.col("_role") == "aggregate") & (pl.col("_statistics") > 0))
        .then(
            pl.format("a summary: {} of {} values are statistics of runs", "_statistics", "_rows")
        )
        .when(pl.col("_role") == "aggregate")
        .then(pl.lit("a summary, as its name says, of runs held elsewhere"))
        .when((pl.col("_role") == "measurement") & (pl.col("reader") == "generic markdown"))
        .then(pl.lit("a report's tables whose values no other file holds"))
        .when(~pl.col("reader").fill_null("generic").str.starts_with("generic"))
        .then(pl.format("written by {}", "reader"))
        .otherwise(pl.lit("one record per run"))
    )
    out = files.drop("role", "role_evidence", "data_time_min", "data_time_max").join(
        per_file, on="relative_path", how="left", maintain_order="left"
    )
    return out.with_columns(
        pl.col("_role").alias("role"),
        pl.when(pl.col("_role").is_not_null()).then(evidence).alias("role_evidence"),
        pl.col("_min").alias("data_time_min"),
        pl.col("_max").alias("data_time_max"),
    ).select(files.columns)
