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
Written once for the pile because copies and siblings are relations between files. The pile
has millions of rows and thousands of files, so what depends on the file is worked out per file
and gathered to the rows by a file index (each file's rows are together), and the wide table is
never filtered or joined whole: at 100,000 files a join or filter of it took seconds.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from typing import NamedTuple

import polars as pl

from tasks.parse.identity import model_identity, model_in_path
from tasks.parse.paths import model_named_by_folders
from tasks.schemas import MODEL_IDENTITY, REPEATED_TEXT, ROLES, chunk_layout, cut_into

# Lower is more primary: a copy points at a row of a lower rank than its own.
_RANK = {"tool": 0, "measurement": 1, "aggregate": 2, "table": 3, "narrative": 4}
# A value that names no model matches only when written with at least three significant digits
# (resolution at most 0.5% of it): "0.05 s" alone could repeat any of many measurements.
_UNNAMED_RELATIVE_RESOLUTION = 0.005
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
# The load a run's files share and only one of them may state: LLMPerf's summary gives the
# concurrency and lengths its individual responses ran with (they were "default options").
_RUN_SETTINGS = ("concurrency", "input_tokens", "output_tokens")
_WORK_COLUMNS = (
    "source_path",
    "locator",
    "format",
    "metric",
    "raw_metric",
    "statistic",
    "value",
    "resolution",
    "model",
    "quant",
    "backend",
    "config",
    "timestamp",
    *_OPTIONS,
    *_RUN_SETTINGS,
)


def resolve_pile(files: pl.DataFrame, metrics: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """FILES with role, evidence and data time range; metrics with identity, role, copy_of."""
    if metrics.is_empty():
        return _file_roles(files, metrics, [], pl.Series(dtype=pl.UInt32)), metrics
    starts = (pl.col("source_path") != pl.col("source_path").shift()).fill_null(True)
    file_index = metrics.select((starts.cum_sum() - 1).cast(pl.UInt32)).to_series()
    paths = metrics.select(pl.col("source_path").filter(starts)).to_series().to_list()
    # each file's first row, then the table's end: a file's rows are those up to the next's
    bounds = (
        metrics.select(starts.arg_true())
        .to_series()
        .append(pl.Series([metrics.height], dtype=pl.UInt32))
    )
    readers = dict(files.select("relative_path", "reader").iter_rows())
    # Every column added to a table is cut into the table's chunks: one whose chunks differ makes
    # Polars copy the whole table into one chunk at the next select (at 100,000 files, 3 s and
    # 2 GB). The layout is taken once: it costs a select per column, which per added column
    # was 380 selects in a 1,000-file pile. The work table's columns are the table's.
    layout = chunk_layout(metrics)
    # The work is done on the columns it needs; the wide table gets its new columns once.
    work = metrics.select(_WORK_COLUMNS)
    runs = _runs_of(paths)
    for column in ("model", "backend"):  # what a run's files all share, one may state alone
        work = _fill_from_siblings(work, layout, file_index, bounds, runs, column)
    settings = []  # those a sibling gave: the others stay as the table holds them
    for column in _RUN_SETTINGS:  # from a sibling only: a file's sections may run apart
        filled = _fill_from_siblings(
            work, layout, file_index, bounds, runs, column, siblings_only=True
        )
        if filled is not work:
            settings.append(column)
        work = filled
    work = _with_identity(work, layout)
    work, rank = _with_roles(work, [readers.get(p) for p in paths], paths)
    work = _link_copies(work, layout, rank, paths)
    new = work.select("model", "backend", *settings, *MODEL_IDENTITY.names(), "role", "copy_of")
    rows = metrics.with_columns(cut_into(column, layout) for column in new)
    return _file_roles(files, work, paths, file_index), rows


def _sibling_key(path: str) -> str:
    """A run's name without the words that tell its files apart: ".../x__summary__groq_70b.json"
    and ".../x__individual__groq_70b.json" -> ".../x__groq_70b"."""
    folder, _, name = path.rpartition("/")
    return f"{_sibling_folder(folder)}/{_sibling_name(name)}"


# By name: a pile repeats its folder and file names far more than its paths (the generated
# 100,000-file pile: 58,353 folders of 8,360 names). By path, this step's name tests were
# about 0.5 s of a 100,000-file run (py-spy).
@functools.lru_cache(maxsize=65536)
def _sibling_folder(folder: str) -> str:
    return "/".join(p for p in folder.split("/") if not _is_sibling_word(p))


@functools.lru_cache(maxsize=65536)
def _is_sibling_word(name: str) -> bool:
    return _SIBLING_WORDS.fullmatch(name) is not None


@functools.lru_cache(maxsize=65536)
def _sibling_name(name: str) -> str:
    return _SIBLING_WORDS.sub("", name.rsplit(".", 1)[0]).strip("-_")


class _Runs(NamedTuple):
    """The pile's files as runs of sibling files (as _sibling_key makes them), worked out once
    for every column filled from siblings: per file, its run (a number), whether it is alone in
    it, and the model its path names when it has siblings (None for a file alone, for a path
    that names none)."""

    files: pl.LazyFrame  # file, run, alone, by_path
    by_path: list[str | None]


def _runs_of(paths: list[str]) -> _Runs:
    runs = [_sibling_key(path) for path in paths]  # sibling files share their run's key
    files_per_run = Counter(runs)
    by_path = [
        model_in_path(path) if files_per_run[run] > 1 else None
        for path, run in zip(paths, runs, strict=True)
    ]
    run_of: dict[str, int] = {}
    files = pl.LazyFrame(
        {
            "file": pl.int_range(len(paths), dtype=pl.UInt32, eager=True),
            "run": [run_of.setdefault(run, len(run_of)) for run in runs],
            "alone": [files_per_run[run] == 1 for run in runs],
            "by_path": pl.Series(by_path, dtype=pl.Utf8),
        }
    )
    return _Runs(files, by_path)


def _fill_from_siblings(
    rows: pl.DataFrame,
    layout: list[int],
    file_index: pl.Series,
    bounds: pl.Series,
    runs: _Runs,
    column: str,
    *,
    siblings_only: bool = False,
) -> pl.DataFrame:
    """Rows without a value in `column` (the model, the backend) take the one value the sibling
    files of the same run state: LLMPerf's individual responses name neither the model nor the
    API they were served by; the run's summary names both. A model that only the path gave
    counts as unstated: a run's summary in a folder named "llama3" takes the
    llama3.1:8b-instruct-q4_0 its raw sweep names, which it summarises (under the folder's name
    its rows were counted again, as a second model). A file alone has its rows without a value
    take what its other rows state ("Model: x" in a report's prose), unless `siblings_only`."""
    # An expression, not rows[column]: taking a column of nulls out writes it out in full.
    if rows.select(pl.col(column).null_count()).item() == rows.height:
        return rows  # nothing to fill it from
    # Only the model is given by paths (parse filled it into the rows that name none).
    by_path = column == "model"
    per_file = runs.files.with_columns(
        pl.col("by_path") if by_path else pl.lit(None, dtype=pl.Utf8).alias("by_path")
    )
    # Per distinct (file, value): a file whose rows lack the value, or hold only what its
    # path gave, receives; any other value states its run's. As frames: the same loops over
    # Python tuples were 0.5 s at 100,000 files (141,000 pairs). A file's rows are together
    # and mostly repeat the row before, so a row like the one before it is dropped before the
    # pairs are made unique: at 100,000 files (4.6 million rows, 117,000 pairs) 0.015 s
    # instead of 0.1 s a column.
    pairs = (
        pl.LazyFrame({"file": file_index, "value": rows.get_column(column)})
        .filter(~_repeats_row_before("value"))
        .unique()
        .with_columns(pl.col("value").cast(pl.Utf8))
        .join(per_file, on="file")
        .with_columns(
            receives=(
                pl.col("value").is_null() | (pl.col("value") == pl.col("by_path")).fill_null(False)
            )
            & ~(pl.col("alone") & siblings_only)
        )
    )
    stated = (
        pairs.filter(~pl.col("receives"))
        .group_by("run")
        .agg(pl.col("value").unique())
        .filter(pl.col("value").list.len() == 1)
        .select("run", pl.col("value").list.first())
    )
    found = (
        pairs.filter(pl.col("receives")).select("file", "run").unique().join(stated, on="run")
    ).collect()
    if found.is_empty():
        return rows
    # Only the receiving files' rows are looked at, each file's from its first row to the next
    # file's. With the sibling's value and the path's gathered to every row of the table and
    # the choice made on every row, the five columns took 0.86 s at 100,000 files; 0.62 s so.
    first, end = bounds.gather(found["file"]), bounds.gather(found["file"] + 1)
    at = pl.int_ranges(first, end, eager=True).explode()
    given = rows.get_column(column)
    given_at = given.gather(at)
    unstated = given_at.is_null()
    if by_path:
        path_at = pl.Series(runs.by_path, dtype=pl.Utf8).gather(found["file"])
        path_at = path_at.repeat_by(end - first).explode()
        unstated = unstated | (given_at.cast(pl.Utf8) == path_at).fill_null(False)
    if not unstated.any():
        return rows
    sibling_at = found["value"].repeat_by(end - first).explode().filter(unstated)
    filled = given.scatter(at.filter(unstated), sibling_at.cast(rows.schema[column]))
    return rows.with_columns(cut_into(filled, layout))


def _repeats_row_before(column: str) -> pl.Expr:
    """Whether a row holds the same `file` and `column` (nulls equal) as the row before it."""
    same_file = pl.col("file") == pl.col("file").shift()
    return (same_file & pl.col(column).eq_missing(pl.col(column).shift())).fill_null(False)


def _with_identity(rows: pl.DataFrame, layout: list[int]) -> pl.DataFrame:
    """Each row's model identity, from its model's name and, where the name states no
    quantization, the row's own: "llama3" on a row tagged q5_K_M is llama3:q5_k_m, not the
    llama3:latest of the rows tagged q4_0 and q8_0 beside it."""
    # Per distinct (model, quant) pair; a row finds its pair by the two category codes.
    key = pl.col("model").to_physical().cast(pl.UInt64) * (1 << 32) + pl.col(
        "quant"
    ).to_physical().cast(pl.UInt64).fill_null((1 << 32) - 1)
    # The names as text once per pair, not per row: per row, this took 0.10 s instead of
    # 0.07 s on the 10,000-file pile's 463,000 rows.
    pairs = (
        rows.lazy()
        .select(key.alias("key"), "model", "quant")
        .filter(pl.col("model").is_not_null())
        .unique("key")
        .with_columns(pl.col("model", "quant").cast(pl.Utf8))
        .collect()
    )
    named = {name: model_identity(name) for name in pairs["model"].unique().to_list()}
    identities = []
    for name, quant in pairs.select("model", "quant").iter_rows():
        identity = named[name]
        if identity is not None and identity.quant is None and quant:
            identity = model_identity(f"{name}-{quant}" if ":" in name else f"{name}:{quant}")
        identities.append(identity)
    # One parameter count for a family+quant in the whole pile fills the names that omit it.
    counts: dict[tuple[str, str | None], set[str]] = {}
    for identity in identities:
        if identity and identity.params:
            counts.setdefault((identity.family, identity.quant), set()).add(identity.params)
    table = []
    for identity in identities:
        if identity is not None and identity.params is None and identity.quant is not None:
            known = counts.get((identity.family, identity.quant), set())
            if len(known) == 1:
                identity = model_identity(f"{identity.family}:{next(iter(known))}-{identity.quant}")
        table.append(identity[:4] if identity else (None,) * 4)
    found = pl.DataFrame(table, schema=MODEL_IDENTITY, orient="row")
    # Each row's pair as a position in the small table, then the table gathered.
    at = rows.select(
        key.replace_strict(
            pairs["key"], pl.int_range(pairs.height, dtype=pl.UInt32, eager=True), default=None
        )
    ).to_series()
    return rows.with_columns(
        cut_into(column, layout) for column in found.select(pl.all().gather(at))
    )


# --- roles and copies -------------------------------------------------------------------------


def _kind_rank(kind: str) -> pl.Expr:
    return pl.lit(_RANK[kind], dtype=pl.UInt8)


# Each rank's role (a tool's values, a raw file's and a report's tables are measurements),
# then a target's, for the rows whose rank is null.
_ROLE_OF_KIND = {
    "tool": "measurement",
    "measurement": "measurement",
    "aggregate": "aggregate",
    "table": "measurement",
    "narrative": "narrative",
}
_ROLE_BY_RANK = pl.Series(
    [_ROLE_OF_KIND[kind] for kind in sorted(_RANK, key=_RANK.__getitem__)] + ["target"],
    dtype=REPEATED_TEXT,
)


# By name, as _sibling_name: at 100,000 files the search per path took 0.1 s.
@functools.lru_cache(maxsize=65536)
def _is_summary_name(name: str) -> bool:
    return _SUMMARY_NAME.search(name) is not None


def _with_roles(
    rows: pl.DataFrame, readers: list[str | None], paths: list[str]
) -> tuple[pl.DataFrame, pl.Series]:
    """Each row's role, and its rank (lower is more primary: see _RANK; null for a target)."""
    # Per-file facts as path sets: a Series from outside the frame would make Polars copy the
    # frame into one chunk first.
    tool_paths = [
        p for p, r in zip(paths, readers, strict=True) if r and not r.startswith("generic")
    ]
    summary_paths = [p for p in paths if _is_summary_name(p.rpartition("/")[2])]
    # The tests by name run once per distinct name, not per row.
    markdown = rows.select("format", "raw_metric", "config").filter(pl.col("format") == "markdown")
    names = (
        pl.concat([markdown["raw_metric"], markdown["config"].drop_nulls()]).unique().cast(pl.Utf8)
    )
    report_targets = names.filter(names.str.contains(_TARGET_WORDS.pattern))
    data_names = rows["raw_metric"].unique().cast(pl.Utf8)
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
    tool = pl.col("source_path").is_in(pl.Series(tool_paths, dtype=pl.Utf8).implode())
    summary_file = pl.col("source_path").is_in(pl.Series(summary_paths, dtype=pl.Utf8).implode())
    kind = (
        pl.when(tool & summary_file)
        .then(_kind_rank("aggregate"))  # a tool's summary.json repeats its runs' files
        .when(tool)
        .then(_kind_rank("tool"))
        .when(pl.col("format") == "markdown")
        .then(
            pl.when(pl.col("locator").str.starts_with("table"))
            .then(_kind_rank("table"))
            .otherwise(_kind_rank("narrative"))
        )
        .when(summary_file | pl.col("statistic").is_not_null())
        .then(_kind_rank("aggregate"))
        .otherwise(_kind_rank("measurement"))
    )
    # A target has no rank: it is neither a copy nor a primary. The kinds as their ranks, the
    # roles gathered from a table of five by rank: a text per row, then a category per row,
    # took 0.1 s at 10,000 files (463,000 rows), most of this step's time.
    rank = rows.select(pl.when(~target).then(kind).alias("rank")).to_series()
    # in the table's chunks, as the rank is (see resolve_pile): a gather makes one chunk
    role = cut_into(_ROLE_BY_RANK.gather(rank.fill_null(len(_RANK))), rank.chunk_lengths())
    rows = rows.with_columns(role.alias("role"), pl.lit(None, dtype=pl.Utf8).alias("copy_of"))
    return rows, rank


def _twin_groups(paths: list[str]) -> list[list[int]]:
    """The files (positions counted from 1, as `file` in _link_copies) of each folder and name
    written in more than one format."""
    # In Polars: a dict of the stems, built in Python, took 0.38 s at 100,000 files.
    stems = pl.DataFrame({"stem": pl.Series(paths, dtype=pl.Utf8).str.replace(r"\.[^./]*$", "")})
    return (
        stems.with_row_index("file", offset=1)
        .group_by("stem", maintain_order=True)
        .agg("file")
        .filter(pl.col("file").list.len() > 1)
        .get_column("file")
        .to_list()
    )


def _twin_copies(
    usable: pl.DataFrame, groups: list[list[int]], rows: pl.DataFrame, files: pl.Series
) -> list[tuple[pl.DataFrame, pl.DataFrame, list[str]]]:
    """Raw files of one run written twice (gemma3_baseline.csv and gemma3_baseline.json, a
    tool's profile_export.csv and .json: one folder, one name, two formats): the equal values
    of the others are copies of the twin written with the most digits (the lowest median
    resolution relative to the value), then with the most values, then the first. `rows`: the
    pile's rows; `files`: each row's file position. Out: (candidates, primaries, by) for
    _MatchDetails.equal, or nothing when no file has a twin. `groups`: _twin_groups."""
    if not groups:
        return []
    raw = usable.filter(pl.col("rank") <= _RANK["measurement"])
    in_twins = pl.Series(list({f for group in groups for f in group}), dtype=pl.UInt32)
    sizes = dict(
        raw.lazy()
        .filter(pl.col("file").is_in(in_twins.implode()))
        .group_by("file")
        .len()
        .collect()
        .iter_rows()
    )
    coarse = dict(
        pl.DataFrame({"file": files, "_rel": rows["resolution"] / rows["value"].abs()})
        .lazy()
        .filter(pl.col("file").is_in(in_twins.implode()))  # the twins' rows: about 0.2 s less
        .group_by("file")
        .agg(pl.col("_rel").median())
        .collect()
        .iter_rows()
    )
    twin_of = {
        member: min(group, key=lambda f: (coarse.get(f) or 1.0, -sizes.get(f, 0), f))
        for group in groups
        for member in group
    }
    twins = raw.filter(pl.col("file").is_in(list(twin_of))).with_columns(
        pl.col("file").replace_strict(twin_of, return_dtype=pl.UInt32).alias("twin")
    )
    by = ["metric", "twin"]
    candidates = _by_group_and_value(twins.filter(pl.col("file") != pl.col("twin")), by)
    primaries = _by_group_and_value(twins.filter(pl.col("file") == pl.col("twin")), by)
    return [(candidates, primaries, by)]


def _link_copies(
    rows: pl.DataFrame, layout: list[int], rank: pl.Series, paths: list[str]
) -> pl.DataFrame:
    """A value that a more primary file holds (same metric, the same model when both name one,
    no option that differs, equal within the precision written) becomes a copy of it."""
    # The matching runs on a narrow frame (row, value, category codes, file, rank: 25 bytes a
    # row); the resolution and options are looked up for the matched pairs only. With them in
    # the frame (64 bytes a row) every filter and sort wrote them out again: at 100,000 files
    # 2.2 GB of fresh pages, whose first touch was a third of this step's time (perf:
    # clear_page in the kernel).
    codes = rows.select(
        pl.col("metric").cast(pl.Categorical).to_physical(),
        pl.col("model_id").cast(pl.Categorical).to_physical(),
        # the file's position, as an expression over the table's own chunks (see resolve_pile)
        (pl.col("source_path") != pl.col("source_path").shift())
        .fill_null(True)
        .cum_sum()
        .cast(pl.UInt32)
        .alias("file"),
    )
    usable = (
        rows.select(
            "value",
            *[cut_into(column, layout) for column in codes],
            cut_into(rank, layout).cast(pl.UInt8).alias("rank"),
            # Precise enough to match without a model (see _UNNAMED_RELATIVE_RESOLUTION)
            (pl.col("resolution") <= pl.col("value").abs() * _UNNAMED_RELATIVE_RESOLUTION).alias(
                "precise"
            ),
        )
        .with_row_index("_row")
        .filter(pl.col("value").is_not_null() & pl.col("rank").is_not_null())
    )
    raw = {_RANK["tool"], _RANK["measurement"]}
    twin_groups = _twin_groups(paths)
    if not twin_groups and usable.filter(~pl.col("rank").is_in(list(raw))).is_empty():
        return rows  # only raw files, none written twice (one big CSV): nothing can be a copy
    # By value once, for every grouping below (see _by_group_and_value); then sorted once for
    # the matches by metric and model and once for those by metric alone, each only over the
    # rows that can meet a candidate; filters keep the order, so no level sorts again
    # (sorting was most of this step's time).
    usable = usable.sort("value", maintain_order=True)
    candidates = usable.filter(~pl.col("rank").is_in(list(raw)))
    # (metric, model) as one integer: a membership test on it took 0.19 s at 100,000 files,
    # a semi join on the two columns 0.76 s.
    pair = pl.col("metric").cast(pl.UInt64) * (1 << 32) + pl.col("model_id").cast(pl.UInt64)
    named = candidates.filter(pl.col("model_id").is_not_null()).select(pair.unique()).to_series()
    sharing_a_pair = usable.filter(pair.is_in(named.implode()))
    by_model = _by_group_and_value(sharing_a_pair, ["metric", "model_id"])
    unnamed = candidates.filter(pl.col("model_id").is_null() & pl.col("precise"))
    by_metric = _by_group_and_value(unnamed, ["metric"])
    guessed = _named_only_by_path(candidates, rows, paths)
    if not guessed.is_empty():
        # Only where no more primary value of that model and metric is there to match, but
        # for the guesses themselves: a folder "gemma3" holding gemma3 runs guessed right.
        pairs = guessed.select(pair.unique()).to_series().implode()
        lowest = (
            usable.filter(pair.is_in(pairs) & ~pl.col("_row").is_in(guessed["_row"].implode()))
            .group_by(pair.alias("_pair"))
            .agg(pl.col("rank").min().alias("_lowest"))
        )
        guessed = (
            guessed.with_columns(pair.alias("_pair"))
            .join(lowest, on="_pair", how="left", maintain_order="left")
            .filter((pl.col("_lowest") >= pl.col("rank")).fill_null(True))
            .drop("_pair", "_lowest")
        )
    by_guess = _by_group_and_value(guessed, ["metric"])
    matched_by_metric = pl.concat([unnamed["metric"], guessed["metric"]]).unique()
    any_model = _by_group_and_value(
        usable.filter(pl.col("metric").is_in(matched_by_metric.implode())), ["metric"]
    )
    details = _MatchDetails(rows)
    links = [details.equal(*p) for p in _twin_copies(usable, twin_groups, rows, codes["file"])]
    copied = (
        pl.concat([link["_row"] for link in links]).implode()
        if links
        else pl.Series("_row", [], dtype=pl.UInt32).implode()
    )
    # Other raw files (tool outputs and generic measurements) are each primary: only
    # summaries, report tables and prose can repeat them.
    for level in sorted(set(usable["rank"].unique().to_list()) - raw):
        # A copy is never a primary: a report's value links to the raw row, not to the summary
        # row that repeats it.
        primary = (pl.col("rank") < level) & ~pl.col("_row").is_in(copied)
        for by, candidates, primaries, same_model in (
            (["metric", "model_id"], by_model, by_model, True),
            (["metric"], by_metric, any_model, True),
            # then a value under a model its path gave that no value of that model matched
            (["metric"], by_guess, any_model, False),
        ):
            level_candidates = candidates.filter(pl.col("rank") == level)
            if not same_model and links:
                linked = pl.concat([link["_row"] for link in links]).implode()
                level_candidates = level_candidates.filter(~pl.col("_row").is_in(linked))
            if level_candidates.is_empty():
                continue
            metrics = level_candidates["metric"].unique().implode()
            level_primaries = primaries.filter(primary & pl.col("metric").is_in(metrics))
            links.append(details.equal(level_candidates, level_primaries, by, same_model))
        if links:
            copied = pl.concat([link["_row"] for link in links]).implode()
    if not links:
        return rows
    found = pl.concat(links)
    origin = rows.select("source_path", "locator")[found["_p_row"]]
    # Nulls made by Polars: a Python list of 4.6 million Nones took 0.7 s.
    nulls = pl.repeat(None, rows.height, dtype=pl.Utf8, eager=True).alias("copy_of")
    copy_of = nulls.scatter(
        found["_row"], origin.select(pl.format("{} {}", "source_path", "locator")).to_series()
    )
    return rows.with_columns(cut_into(copy_of, layout)).with_columns(
        pl.when(pl.col("copy_of").is_not_null())
        .then(pl.lit("copy"))
        .otherwise(pl.col("role"))
        .alias("role")
    )


def _named_only_by_path(
    candidates: pl.DataFrame, rows: pl.DataFrame, paths: list[str]
) -> pl.DataFrame:
    """The candidates (precise ones) whose model only a folder names: a folder "llama3"
    holding reports on llama3.1:8b-instruct-q4_0 gave their rows "llama3", a guess that must
    not keep a value from matching the measurement it repeats."""
    files = candidates["file"].unique().to_list()  # counted from 1, as in _link_copies
    by_path = {file: model_named_by_folders(paths[file - 1]) for file in files}
    by_path = {file: model for file, model in by_path.items() if model is not None}
    named = candidates.filter(
        pl.col("file").is_in(list(by_path)) & pl.col("model_id").is_not_null() & pl.col("precise")
    )
    if named.is_empty():
        return named
    model = rows.get_column("model").gather(named["_row"])
    guess = named["file"].replace_strict(by_path, default=None, return_dtype=pl.Utf8)
    return named.filter(model == guess.cast(model.dtype))


def _by_group_and_value(rows: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    """Rows already in value order (`usable`'s rows, see _link_copies) sorted by the `by`
    columns (unsigned 32-bit codes, as one 64-bit key): a stable sort on that key keeps each
    group's rows in value order. `usable` is sorted by value once for the six groupings, where
    each sorted by value again (at 100,000 files 0.9 s for the six); two stable sorts on one
    column each had taken 0.6 s where one sort on three columns took 1.7 s, on 3 million
    rows."""
    key = pl.col(by[0]).cast(pl.UInt64)
    for column in by[1:]:
        key = key * (1 << 32) + pl.col(column).cast(pl.UInt64)
    # Stable: which of several equal primary values a copy links to must not change between
    # runs of the same pile (a re-run after a crash must give the same tables).
    return rows.sort(key, maintain_order=True)


class _MatchDetails:
    """What decides whether a candidate equals its nearest primary value, looked up by row for
    the pairs the value match found: the resolution and the options (the file and the model
    come with the frames matched)."""

    def __init__(self, rows: pl.DataFrame) -> None:
        # In one chunk: the pairs come in value order, and a gather in that order from the
        # table's chunk per batch took 87 ms per million rows against 23 from one chunk.
        self._resolution = rows.get_column("resolution").rechunk()
        self._options = [rows.get_column(o).rechunk() for o in _OPTIONS]

    def equal(
        self,
        candidates: pl.DataFrame,
        primaries: pl.DataFrame,
        by: list[str],
        same_model: bool = True,
    ) -> pl.DataFrame:
        """(_row, _p_row) of candidates whose nearest primary value, within the `by` groups,
        is equal within the coarser written resolution, agrees on every option both name (and
        on the model when `same_model`) and comes from another file. Both frames come sorted
        by `by` and value."""
        if primaries.is_empty():
            return pl.DataFrame(schema={"_row": pl.UInt32, "_p_row": pl.UInt32})
        # The file and the model ride along from the frames (both hold them); the resolution
        # and the options are looked up for the pairs whose values can be equal: each lookup
        # gathers from the table's chunks, which at 100,000 files was most of this step's time.
        model = ["model_id"] if same_model and "model_id" not in by else []
        carried = ["file", *model]
        nearest = (
            candidates.select("_row", "value", *carried, *by)
            .join_asof(
                primaries.select(
                    *by,
                    pl.col("_row").alias("_p_row"),
                    pl.col("value").alias("_p_value"),
                    *[pl.col(name).alias(f"_p_{name}") for name in carried],
                ),
                left_on="value",
                right_on="_p_value",
                by=by,
                strategy="nearest",
                check_sortedness=False,  # sorted within each `by` group, which Polars cannot check
            )
            .filter(pl.col("_p_value").is_not_null() & (pl.col("_p_file") != pl.col("file")))
        )
        tolerance = pl.max_horizontal("_resolution", "_p_resolution").fill_null(0.0) + 1e-9 * (
            pl.col("value").abs()
        )
        equal = nearest.with_columns(
            self._resolution.gather(nearest["_row"]).alias("_resolution"),
            self._resolution.gather(nearest["_p_row"]).alias("_p_resolution"),
        ).filter((pl.col("value") - pl.col("_p_value")).abs() <= tolerance)
        looked_up = list(zip(_OPTIONS, self._options, strict=True))
        pairs = equal.select(
            "_row",
            "_p_row",
            *[pl.col(name, f"_p_{name}") for name in model],
            *[column.gather(equal["_row"]).alias(name) for name, column in looked_up],
            *[column.gather(equal["_p_row"]).alias(f"_p_{name}") for name, column in looked_up],
        )
        compared = [*_OPTIONS, *model]
        agrees = pl.all_horizontal(
            [
                pl.col(o).is_null() | pl.col(f"_p_{o}").is_null() | (pl.col(o) == pl.col(f"_p_{o}"))
                for o in compared
            ]
        )
        return pairs.filter(agrees).select("_row", "_p_row")


# --- files ------------------------------------------------------------------------------------


def written_time(column: str) -> pl.Expr:
    """A text column of timestamps as the datetimes benchmark files write; null where no format
    fits. The offset is dropped: times are compared as written (most files write UTC or none)."""
    text = pl.col(column).str.replace(r"(?:Z|[+-]\d{2}:?\d{2})$", "")
    return pl.coalesce(
        [text.str.strptime(pl.Datetime("us"), f, strict=False) for f in _DATETIME_FORMATS]
    )


def _file_roles(
    files: pl.DataFrame, rows: pl.DataFrame, paths: list[str], file_index: pl.Series
) -> pl.DataFrame:
    # Times are parsed once per distinct (file, timestamp): a sweep repeats a few stamps, and
    # a record's values are together with the same one, so a row like the one before it is
    # dropped first (as in _fill_from_siblings).
    per_row = rows.select("timestamp", "role", "statistic").with_columns(file=file_index)
    times = (
        per_row.lazy()
        .select("file", "timestamp")
        .filter(~_repeats_row_before("timestamp"))
        .unique()
        .with_columns(written_time("timestamp").alias("_time"))
        .group_by("file")
        .agg(
            pl.col("_time").min().dt.strftime("%Y-%m-%dT%H:%M:%S").alias("_min"),
            pl.col("_time").max().dt.strftime("%Y-%m-%dT%H:%M:%S").alias("_max"),
        )
    )
    counts = {role: f"_{role}" for role in ROLES}
    # The file's role is its most common row role (ties: the order of ROLES); counted as sums,
    # since a mode per group of strings took most of this step's time.
    most = pl.max_horizontal(list(counts.values()))
    file_role = pl.when(pl.lit(False)).then(pl.lit(None, dtype=pl.Utf8))
    for role, column in counts.items():
        file_role = file_role.when(pl.col(column) == most).then(pl.lit(role))
    per_file = (
        per_row.lazy()
        .group_by("file")
        .agg(
            pl.len().alias("_rows"),
            *[(pl.col("role") == role).sum().alias(column) for role, column in counts.items()],
            pl.col("statistic").is_not_null().sum().alias("_statistics"),
        )
        .with_columns(
            file_role.alias("_role"),
            pl.col("_copy").alias("_copies"),
            pl.col("_target").alias("_targets"),
        )
        .join(times, on="file", how="left")
        .with_columns(
            pl.col("file")
            .replace_strict(list(range(len(paths))), paths, return_dtype=pl.Utf8)
            .alias("relative_path")
        )
        .drop("file")
        .collect()
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
