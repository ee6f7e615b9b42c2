"""What the pile's values are, once every file is parsed: identity, setup, time, role, copies.

In: the FILES inventory and the PARSED_METRICS rows of the whole pile (this run's and those
kept from the last), with what their own paths say already filled in (tasks.parse.paths, at
parse time, in the workers). Out: the same rows with
- the model where a sibling file of the same run names it (groq_70b individual responses <-
  groq_70b summary), and every model's normalised identity (tasks.parse.identity); a
  family+quant named without a parameter count takes the pile's one count for it
  (llama3.1:q4_0 -> 8b);
- a role per row (tasks.schemas.ROLES) and, for a value another file already holds, copy_of;
and FILES with each file's role, the evidence for it, and the data's own time range.
Written once for the pile because copies and siblings are relations between files.
"""

from __future__ import annotations

import re

import polars as pl

from tasks.parse.identity import model_identity
from tasks.schemas import MODEL_IDENTITY

# Lower is more primary: a copy points at a row of a lower rank than its own.
_RANK = {"tool": 0, "measurement": 1, "aggregate": 2, "table": 3, "narrative": 4}
_TARGET_WORDS = re.compile(
    r"(?i)\b(target|expected|expectation|goal|projected|projection|estimate[ds]?|budget|"
    r"objective|required|requirement|sla|slo|planned|aim)\b"
)
_TARGET_KEY = re.compile(r"(?i)^(target|expected|goal|objective|sla|slo|budget)(?:[_\s.-]|$)")
_SUMMARY_NAME = re.compile(
    r"(?i)(?:^|[-_.])(summary|summaries|aggregate[ds]?|stats|digest)(?:[-_.]|$)"
)
_SIBLING_WORDS = re.compile(
    r"(?i)(?:^|[-_])(summary|individual(?:_responses)?|responses|runs|results|raw|per_request)(?=[-_]|$)"
)
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
    rows = _fill_from_siblings(rows)
    rows = _with_identity(rows)
    rows = _with_roles(rows)
    rows = _link_copies(rows)
    resolved = rows.drop("reader", "_rank").select(metrics.columns)
    return _file_roles(files, resolved), resolved


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
    unnamed = rows.filter(pl.col("model").is_null())["source_path"].unique().to_list()
    if not unnamed:
        return rows
    models = (
        rows.filter(pl.col("model").is_not_null())
        .group_by("source_path")
        .agg(pl.col("model").unique())
    )
    by_sibling: dict[str, set[str]] = {}
    for path, names in models.iter_rows():
        by_sibling.setdefault(_sibling_key(path), set()).update(names)
    found = {}
    for path in unnamed:
        names = by_sibling.get(_sibling_key(path), set())
        if len(names) == 1:
            found[path] = next(iter(names))
    if not found:
        return rows
    sibling_model = pl.col("source_path").replace_strict(found, default=None, return_dtype=pl.Utf8)
    return rows.with_columns(pl.coalesce("model", sibling_model).alias("model"))


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
    # The tests by name run once per distinct name, not per row: a pile has millions of rows
    # and a few thousand names.
    paths = rows["source_path"].unique()
    summary_files = paths.filter(
        paths.str.split("/").list.last().str.contains(_SUMMARY_NAME.pattern)
    )
    markdown = rows.filter(pl.col("format") == "markdown")
    names = pl.concat([markdown["raw_metric"], markdown["config"].drop_nulls()]).unique()
    report_targets = names.filter(names.str.contains(_TARGET_WORDS.pattern))
    data_names = rows["raw_metric"].unique()
    data_targets = data_names.filter(data_names.str.contains(_TARGET_KEY.pattern))
    # A report's "Expected throughput" line or "Target" column; in data files only a name that
    # starts with such a word ("target_tok_s"), since a key may merely mention one.
    target = (
        pl.when(pl.col("format") == "markdown")
        .then(
            pl.col("raw_metric").is_in(report_targets.implode())
            | pl.col("config").is_in(report_targets.implode()).fill_null(False)
        )
        .otherwise(pl.col("raw_metric").is_in(data_targets.implode()))
    )
    from_tool = ~pl.col("reader").fill_null("").str.starts_with("generic")
    summary_file = pl.col("source_path").is_in(summary_files.implode())
    kind = (
        pl.when(from_tool & summary_file)
        .then(pl.lit("aggregate"))  # a tool's summary.json repeats its runs' files
        .when(from_tool)
        .then(pl.lit("tool"))
        .when(pl.col("format") == "markdown")
        .then(
            pl.when(pl.col("locator").str.starts_with("table"))
            .then(pl.lit("table"))
            .otherwise(pl.lit("narrative"))
        )
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
    # A narrow frame: matching sorts millions of rows, and every column carried is copied.
    usable = (
        rows.select(
            "value", "resolution", "metric", "model_id", "source_path", *_OPTIONS, "_rank", "role"
        )
        .with_row_index("_row")
        .filter(pl.col("value").is_not_null() & (pl.col("role") != "target"))
        .drop("role")
    )
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
    found = pl.concat(links)
    origin = rows.select(pl.format("{} {}", "source_path", "locator").alias("_copy_of"))
    copy_of = pl.Series("copy_of", [None] * rows.height, dtype=pl.Utf8).scatter(
        found["_row"], origin["_copy_of"].gather(found["_p_row"])
    )
    return rows.with_columns(copy_of).with_columns(
        pl.when(pl.col("copy_of").is_not_null())
        .then(pl.lit("copy"))
        .otherwise(pl.col("role"))
        .alias("role")
    )


def _nearest_equal(candidates: pl.DataFrame, primaries: pl.DataFrame) -> pl.DataFrame:
    """(_row, _p_row) of candidates whose nearest primary value, by metric and model, is equal
    within the coarser written resolution and agrees on every option both name."""
    right = primaries.rename(
        {c: f"_p_{c.lstrip('_')}" for c in primaries.columns if c not in ("metric", "model_id")}
    )
    matches = []
    for by_model in (True, False):
        left = candidates.filter(pl.col("model_id").is_not_null() == by_model)
        if left.is_empty():
            continue
        by = ["metric", "model_id"] if by_model else ["metric"]
        primary = (
            right.join(left.select(by).unique(), on=by, how="semi")
            if by_model
            else right.drop("model_id")
        )
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
            ).select("_row", "_p_row")
        )
    if not matches:
        return pl.DataFrame(schema={"_row": pl.UInt32, "_p_row": pl.UInt32})
    return pl.concat(matches)


# --- files ------------------------------------------------------------------------------------


def _parsed_time(column: str) -> pl.Expr:
    # The offset is dropped: times are compared as written (most files write UTC or none).
    text = pl.col(column).str.replace(r"(?:Z|[+-]\d{2}:?\d{2})$", "")
    return pl.coalesce(
        [text.str.strptime(pl.Datetime("us"), f, strict=False) for f in _DATETIME_FORMATS]
    )


def _file_roles(files: pl.DataFrame, rows: pl.DataFrame) -> pl.DataFrame:
    # Times are parsed once per distinct (file, timestamp): a sweep repeats a few stamps.
    times = (
        rows.select("source_path", "timestamp")
        .unique()
        .with_columns(_parsed_time("timestamp").alias("_time"))
        .group_by("source_path")
        .agg(
            pl.col("_time").min().dt.strftime("%Y-%m-%dT%H:%M:%S").alias("_min"),
            pl.col("_time").max().dt.strftime("%Y-%m-%dT%H:%M:%S").alias("_max"),
        )
    )
    per_file = (
        rows.group_by("source_path")
        .agg(
            pl.len().alias("_rows"),
            pl.col("role").mode().sort().first().alias("_role"),
            (pl.col("role") == "copy").sum().alias("_copies"),
            (pl.col("role") == "narrative").sum().alias("_narrative"),
            (pl.col("role") == "target").sum().alias("_targets"),
            pl.col("statistic").is_not_null().sum().alias("_statistics"),
        )
        .join(times, on="source_path", how="left")
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
