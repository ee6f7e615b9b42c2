"""Collects parsed metric rows for many files and builds one PARSED_METRICS frame at the end.

In: calls from the format parsers: a file, its records (locator + dimensions), each record's
metric values. Out: `to_frame()`, one frame for everything collected. Columns are plain Python
lists; file and record columns are stored once and gathered per metric row when the frame is
built, so a batch of thousands of small files costs one DataFrame, not one per file. Likewise a
value's (metric, raw name, unit, statistic, scale) is stored once as a "kind": a CSV column is one
kind for all its cells, so a cell costs two list appends, not four. The kind's scale (what the
written value was multiplied by to reach the canonical unit) gives each value its resolution:
half a unit of the last digit written, which says when two files hold the same number.

A big file is streamed: its parser adds a block of records at a time and calls `flush()`, which
turns what is collected into a frame chunk and empties the lists. Python lists cost some 20 times
the frame's bytes: a 50 MB CSV (3.8 million values) peaked at 1.5 GB in one go, and a frame chunk
per block keeps the lists to one block's worth.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from tasks.parse.dimensions import DIMENSION_NAMES, dimensions_tuple, implied_dimensions

if TYPE_CHECKING:
    import polars as pl

# The metric name of the one row a failed record without any measured value still gets, so that
# its error reaches validation: value and unit are null, `error`/`success` say what happened.
FAILED_RECORD_METRIC = "error"
# A streaming parser flushes the sink when this many values wait in its lists (some 30 MB).
FLUSH_VALUES = 250_000
_ERROR_AT, _SUCCESS_AT = DIMENSION_NAMES.index("error"), DIMENSION_NAMES.index("success")


class ParseError(ValueError):
    """A file that cannot be parsed as its format; the message names the reason."""


class Checkpoint(NamedTuple):
    files: int
    records: int  # ids count from the sink's start, flushed records included
    metrics: int


class _Chunk(NamedTuple):
    frame: pl.DataFrame  # PARSED_METRICS rows of records first_record.. (to the next chunk's)
    first_record: int
    metrics: int


class MetricSink:
    """Append-only store of files, records and metric values, in PARSED_METRICS terms."""

    def __init__(self) -> None:
        self._file_source: list[str] = []
        self._file_sha256: list[str] = []
        self._file_format: list[str] = []
        # What each file's path says (tasks.parse.paths), for its records that do not say it;
        # applied when the records become frame rows.
        self._file_path_dims: list[dict[str, Any]] = []
        self._record_file: list[int] = []
        self._record_locator: list[str] = []
        self._record_dims: list[tuple[Any, ...]] = []
        self._kinds: dict[tuple[str, str, str | None, str | None, float], int] = {}
        self._metric_record: list[int] = []
        self._metric_kind: list[int] = []
        self._metric_value: list[float | None] = []
        # Flushed frames; the lists above hold the records from _record_base on.
        self._chunks: list[_Chunk] = []
        self._record_base = 0
        self._flushed_metrics = 0
        self._file_first_record = 0

    def start_file(self, source_path: str, sha256: str, fmt: str) -> None:
        self._file_source.append(source_path)
        self._file_sha256.append(sha256)
        self._file_format.append(fmt)
        self._file_path_dims.append({})
        self._file_first_record = self._record_base + len(self._record_locator)

    def add_record(self, locator: str, dims: dict[str, Any]) -> int:
        """A record of the current file; returns its id for `add_metric`."""
        self._record_file.append(len(self._file_source) - 1)
        self._record_locator.append(locator)
        self._record_dims.append(dimensions_tuple(dims))
        return self._record_base + len(self._record_locator) - 1

    def add_records(self, locators: list[str], dimensions: list[tuple[Any, ...]]) -> range:
        """Records of the current file at once, their dimensions in DIMENSION_NAMES order;
        returns their ids."""
        first = self._record_base + len(self._record_locator)
        self._record_file.extend([len(self._file_source) - 1] * len(locators))
        self._record_locator.extend(locators)
        self._record_dims.extend(dimensions)
        return range(first, first + len(locators))

    def metric_kind(
        self,
        metric: str,
        raw_metric: str,
        unit: str | None,
        statistic: str | None = None,
        scale: float = 1.0,
    ) -> int:
        """The id of a (metric, raw name, unit, statistic, scale) for `add_values`; the same id
        every time. `scale`: what the written value was multiplied by (1000 for seconds to ms)."""
        key = (metric, raw_metric, unit, statistic, scale)
        kind = self._kinds.get(key)
        if kind is None:
            kind = self._kinds[key] = len(self._kinds)
        return kind

    def add_metric(
        self,
        record: int,
        metric: str,
        raw_metric: str,
        value: float | None,
        unit: str | None,
        statistic: str | None = None,
        scale: float = 1.0,
    ) -> None:
        """One value, already in the canonical unit (written value x scale)."""
        self._metric_record.append(record - self._record_base)
        self._metric_kind.append(self.metric_kind(metric, raw_metric, unit, statistic, scale))
        self._metric_value.append(value)

    def add_values(self, record: int, kinds: list[int], values: list[float | None]) -> None:
        """Several values of one record at once, each with its `metric_kind` id."""
        self._metric_record.extend([record - self._record_base] * len(kinds))
        self._metric_kind.extend(kinds)
        self._metric_value.extend(values)

    def add_failure_if_empty(self, record: int, metrics_added: int, raw_metric: str) -> int:
        """Give a failed record that measured nothing its one error row; returns rows added."""
        dims = self._record_dims[record - self._record_base]
        if metrics_added or (dims[_ERROR_AT] is None and dims[_SUCCESS_AT] is not False):
            return 0
        self.add_metric(record, FAILED_RECORD_METRIC, raw_metric, None, None)
        return 1

    def set_path_dimensions(self, dims: dict[str, Any]) -> None:
        """What the current file's path says (a model in its name, ctx512 in a folder's): its
        records that lack a dimension take it, and a model taken also gives the quantization
        its name implies. Set before the file's records are flushed (as soon as the reader is
        known); applied per column when the rows are built, not per record: on a 10,000-file
        pile the loop over records took 120-134 ms, the columns take 69-85 ms."""
        self._file_path_dims[-1] = dims

    @property
    def metric_count(self) -> int:
        """Values added so far, flushed ones included."""
        return self._flushed_metrics + len(self._metric_kind)

    @property
    def pending_values(self) -> int:
        """Values in the lists, not yet flushed."""
        return len(self._metric_kind)

    def checkpoint(self) -> Checkpoint:
        return Checkpoint(
            len(self._file_source),
            self._record_base + len(self._record_locator),
            self.metric_count,
        )

    def rollback(self, to: Checkpoint) -> None:
        """Forget everything added after the checkpoint (a file that failed half-way)."""
        for column in (
            self._file_source,
            self._file_sha256,
            self._file_format,
            self._file_path_dims,
        ):
            del column[to.files :]
        # flush() never puts records of two sides of a file start in one chunk: the chunks
        # from the checkpoint's record on hold only what is forgotten. (A chunk flushed after
        # the checkpoint can hold the records before it, still pending then: it stays.)
        kept = sum(chunk.first_record < to.records for chunk in self._chunks)
        dropped = self._chunks[kept:]
        del self._chunks[kept:]
        if dropped:
            self._record_base = dropped[0].first_record
            self._flushed_metrics -= sum(chunk.metrics for chunk in dropped)
        local_records = to.records - self._record_base
        local_metrics = to.metrics - self._flushed_metrics
        for column in (self._record_file, self._record_locator, self._record_dims):
            del column[local_records:]
        for column in (self._metric_record, self._metric_kind, self._metric_value):
            del column[local_metrics:]

    def flush(self) -> None:
        """Turn what is collected into frame chunks and empty the lists (see the module's
        docstring). The records before the current file's and its own go to separate chunks,
        so a rollback of the file drops whole chunks."""
        split = self._file_first_record - self._record_base
        if 0 < split < len(self._record_locator):
            self._flush_records(split)
        if self._record_locator:
            self._flush_records(len(self._record_locator))

    def _flush_records(self, records: int) -> None:
        """Flush the first `records` of the lists (their values come first in theirs)."""
        import bisect

        metrics = bisect.bisect_left(self._metric_record, records)
        frame = self._frame(records, metrics)
        self._chunks.append(_Chunk(frame, self._record_base, metrics))
        for column in (self._record_file, self._record_locator, self._record_dims):
            del column[:records]
        for column in (self._metric_kind, self._metric_value):
            del column[:metrics]
        self._metric_record = [record - records for record in self._metric_record[metrics:]]
        self._record_base += records
        self._flushed_metrics += metrics

    def to_frame(self) -> pl.DataFrame:
        """Everything collected, one row per metric value, exactly PARSED_METRICS. The sink
        hands its flushed chunks over (they are joined column by column, each freed once
        copied), so this is the last call on a sink that was flushed."""
        from tasks.schemas import concat_one_chunk

        pending = self._frame(len(self._record_locator), len(self._metric_kind))
        frames = [chunk.frame for chunk in self._chunks if chunk.metrics]
        if not frames:
            return pending
        self._chunks.clear()
        if pending.height:
            frames.append(pending)
        # In one chunk, as a frame built in one go would be, its literal columns kept.
        return concat_one_chunk(frames)

    def _frame(self, records: int, metrics: int) -> pl.DataFrame:
        """The first `records` and `metrics` of the lists as PARSED_METRICS rows."""
        # Imported here: a parse worker fills a sink and sends it back without loading Polars
        # (only a big file's flushed chunks need it there).
        import polars as pl

        from tasks.schemas import DIMENSIONS, PARSED_METRICS, conform

        if not metrics:
            return pl.DataFrame(schema=PARSED_METRICS)
        metric_record = pl.Series("record", _head(self._metric_record, metrics), dtype=pl.Int64)
        # Column by column: Polars builds a frame from rows of tuples several times slower.
        dimension_columns = zip(*_head(self._record_dims, records), strict=True)
        records = pl.DataFrame(
            [
                pl.Series(name, column, dtype=dtype)
                for (name, dtype), column in zip(DIMENSIONS.items(), dimension_columns, strict=True)
            ]
            + [
                pl.Series("locator", _head(self._record_locator, records), dtype=pl.Utf8),
                pl.Series("file", _head(self._record_file, records), dtype=pl.Int64),
            ]
        )
        records = _with_path_dimensions(records, self._file_path_dims)
        # A dimension no record of the batch has is left out here and comes back from conform
        # as a null literal, which Polars keeps as one scalar instead of a column per row.
        present = [name for name in records.columns if records[name].null_count() < records.height]
        per_metric_record = records.select(pl.col(present).gather(metric_record))
        # The files' and the kinds' text made categories while they are a row each, then
        # gathered to the rows as category codes. Made categories per row (by conform), a
        # 1,000-file batch's frame took 44 ms instead of 32 (medians of 15).
        files = pl.DataFrame(
            {
                "source_path": self._file_source,
                "sha256": self._file_sha256,
                "format": self._file_format,
            },
            schema={name: PARSED_METRICS[name] for name in ("source_path", "sha256", "format")},
        )
        per_metric_file = files.select(pl.all().gather(per_metric_record["file"]))
        kinds = pl.DataFrame(
            list(self._kinds),
            schema={
                **{
                    name: PARSED_METRICS[name]
                    for name in ("metric", "raw_metric", "unit", "statistic")
                },
                "scale": pl.Float64,
            },
            orient="row",
        )
        kind_per_metric = pl.Series(_head(self._metric_kind, metrics))
        per_metric_kind = kinds.select(pl.all().gather(kind_per_metric))
        value = pl.Series("value", _head(self._metric_value, metrics), dtype=pl.Float64)
        values = per_metric_kind.with_columns(
            value, written_resolution(value, per_metric_kind["scale"]).alias("resolution")
        )
        # Identity, role and copy_of are filled for the whole pile afterwards (tasks.parse.pile).
        return conform(
            pl.concat([per_metric_file, per_metric_record.drop("file"), values], how="horizontal"),
            PARSED_METRICS,
        )


_MAX_DECIMALS = 10


def _head(values: list, count: int) -> list:
    # The whole list as it is (no copy) in the common case of a frame of everything.
    return values if count == len(values) else values[:count]


def _with_path_dimensions(records: pl.DataFrame, path_dims: list[dict[str, Any]]) -> pl.DataFrame:
    """`records` (DIMENSIONS and `file`, a position in `path_dims`) with what their files'
    paths say where they say nothing; a record given a model that way, or any dimension, and
    naming no quantization takes the one its model's name implies."""
    import polars as pl

    from tasks.schemas import DIMENSIONS

    first, last = records["file"].min(), records["file"].max()
    if first is None:
        return records
    said = path_dims[first : last + 1]  # the records' files come in order, one after another
    # Once over the files' keys, not each dimension's name against each file's keys.
    stated = set().union(*said)
    names = [name for name in DIMENSION_NAMES if name in stated]
    if not names:
        return records
    at = records["file"] - first
    given = {
        name: pl.Series([dims.get(name) for dims in said], dtype=DIMENSIONS[name]).gather(at)
        for name in names
    }
    filled = records.with_columns(
        pl.any_horizontal([pl.col(n).is_null() & given[n].is_not_null() for n in names]).alias(
            "_filled"
        ),
        *[pl.col(n).fill_null(given[n]) for n in names],
    )
    models = filled.filter("_filled")["model"].drop_nulls().unique().cast(pl.Utf8).to_list()
    implied = {model: dict(implied_dimensions(None, model)).get("quant") for model in models}
    quant = (
        pl.when(pl.col("_filled") & pl.col("quant").is_null() & pl.col("model").is_not_null())
        .then(pl.col("model").cast(pl.Utf8).replace_strict(implied, default=None))
        .otherwise(pl.col("quant").cast(pl.Utf8))
    )
    return filled.with_columns(quant=quant.cast(DIMENSIONS["quant"])).drop("_filled")


def written_resolution(value: pl.Series, scale: pl.Series) -> pl.Series:
    """Half a unit of the last digit of the value as it was written, in the canonical unit:
    0.05 s read as 50 ms -> 5 ms; 303.89821 tok/s -> 0.000005. The written number is the value
    over its scale; its decimals are the fewest that round it to itself (to 1e-9 relative, the
    float noise of scaling); a value no number of decimals up to _MAX_DECIMALS writes (and a
    null, NaN or infinity) takes _MAX_DECIMALS. Arithmetic, not text: a string per value cost
    0.2 s per 500,000 rows. Each number of decimals is tried only on the values that fewer did
    not write, where one Polars expression tried every one on every value (the same results):
    a 1,000-file batch's 40,000 values 4.7 ms instead of 9.2, a 100,000-file pile's 4.6 million
    0.49 s instead of 0.95 (fastest of 5)."""
    import numpy as np
    import polars as pl

    scales = scale.to_numpy()
    written = value.to_numpy() / scales  # a null is NaN here
    tolerance = np.maximum(np.abs(written), 1.0) * 1e-9
    decimals = np.full(len(written), _MAX_DECIMALS)
    left = np.flatnonzero(np.isfinite(written))
    for places in range(_MAX_DECIMALS):
        if not len(left):
            break
        candidates = written[left]
        exact = np.abs(np.round(candidates, places) - candidates) <= tolerance[left]
        decimals[left[exact]] = places
        left = left[~exact]
    half_unit = np.array([0.5 * 10.0**-places for places in range(_MAX_DECIMALS + 1)])
    return pl.Series(value.name, half_unit[decimals] * np.abs(scales))
