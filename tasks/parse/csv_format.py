"""CSV tables -> metric rows: one row per (data row, numeric metric cell).

In: the decoded text of a CSV file. Out: records in a `MetricSink`, located "row N" (1-based
data row, after the header and any units row). Handles preamble lines before the header, quoted
numbers, a units row under the header (Nsight Compute exports), blank cells (not measurements),
an `error` column and an `options` JSON cell; dimension columns (model, num_gpu, config_name...)
become dimensions, free text (prompt, prompt_text) and identifiers (ID, rank) are never metrics.
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Iterator
from itertools import chain, islice
from typing import Any, NamedTuple

from tasks.parse import dimensions as dim
from tasks.parse.records import FLUSH_VALUES, MetricSink, ParseError
from tasks.parse.values import parse_value
from tasks.parse.vocabulary import canonical_metrics, normalise_key, resolve_metric

_HEADER_SEARCH_ROWS = 20
# The header search, then a units row and the row under it.
_HEAD_ROWS = _HEADER_SEARCH_ROWS + 2
# Rows read, decoded and added per block: a big file streams through the sink in blocks.
_BLOCK_ROWS = 20_000
# A text this long is split into lines as it is read, not copied whole (see _read_rows).
_STREAMED_CHARS = 1_000_000
_MAX_UNIT_LENGTH = 24
_DELIMITERS = (",", ";", "\t")
_NOT_A_NUMBER = float("nan")
_NUMBER_STARTS = frozenset("0123456789+-.\u2212*_`")


class _Column(NamedTuple):
    index: int
    name: str
    role: str  # dimension | options | output | metric | model metric | ignored
    # the dimension's name; of a "model metric" column the model it names
    dimension: str | None
    unit: str | None  # from a units row under the header


def parse_csv(text: str, sink: MetricSink) -> None:
    """Add the CSV's records and metric values to the sink; ParseError when it has no table.
    Read in blocks of rows, the sink flushed between them, so a big file never sits in memory
    as Python lists whole (bench/bench_big_file.py)."""
    rows = _read_rows(text)
    head = list(islice(rows, _HEAD_ROWS))
    if not head:
        raise ParseError("invalid CSV: no rows")
    header_at = _find_header(head)
    header = [cell.strip() for cell in head[header_at]]
    units = _units_row(head[header_at + 1 :], len(header))
    first_data_row = header_at + (2 if units is not None else 1)
    body = chain(head[first_data_row:], rows)
    columns = [_column(i, name, units[i] if units else None) for i, name in enumerate(header)]
    table = _Table(
        metrics=[_kind(c, c.name, c.unit, sink) for c in columns if c.role == "metric"],
        dimensions=[(c.index, c.dimension, c.name) for c in columns if c.role == "dimension"],
        options=[c.index for c in columns if c.role == "options"],
        outputs=[c.index for c in columns if c.role == "output"],
        error_column=next((c.name for c in columns if c.dimension == "error"), "error"),
        by_model=[
            _kind(c, dim.without_model_refs(c.name), c.dimension, sink)
            for c in columns
            if c.role == "model metric"
        ],
    )
    numbered = 0  # "row N" counts the data rows that hold anything
    while rows_read := list(islice(body, _BLOCK_ROWS)):
        block = [row for row in rows_read if any(row)]
        if not block:
            continue
        dimensions, numbers = _record_dimensions(block, table)
        first = numbered + 1
        numbered += len(block)
        records = sink.add_records([f"row {n}" for n in range(first, numbered + 1)], dimensions)
        for record, row in zip(records, block, strict=True):
            _add_values(row, record, table, numbers, sink)
        if table.by_model:
            _add_model_columns(block, dimensions, first, table, sink)
        if sink.pending_values >= FLUSH_VALUES:
            sink.flush()


def _kind(
    column: _Column, metric: str, beside: str | None, sink: MetricSink
) -> tuple[int, str, str | None, int, float]:
    """A value column as _Table holds it: index, name, `beside` (the units row's unit, or the
    model the name gives), the sink's kind for `metric` resolved in the column's unit, scale."""
    resolved = resolve_metric(metric, column.unit)
    kind = sink.metric_kind(
        resolved.metric, column.name, resolved.unit, resolved.statistic, resolved.scale
    )
    return column.index, column.name, beside, kind, resolved.scale


_MODEL_AT = dim.DIMENSION_NAMES.index("model")
_QUANT_AT = dim.DIMENSION_NAMES.index("quant")


def _add_model_columns(
    block: list[list[str]],
    dimensions: list[tuple[Any, ...]],
    first: int,
    table: _Table,
    sink: MetricSink,
) -> None:
    """The cells of columns that name a model ("llama3.1:8b tok/s"), each a record of its
    row's: the row's dimensions with that model (and the quantization its name says)."""
    for at, row in enumerate(block):
        for index, _, model, kind, scale in table.by_model:
            cell = row[index].strip() if index < len(row) else ""
            parsed = parse_value(cell) if cell else None
            if parsed is None:
                continue
            dims = list(dimensions[at])
            dims[_MODEL_AT] = model
            if dims[_QUANT_AT] is None:
                dims[_QUANT_AT] = dict(dim.implied_dimensions(None, model)).get("quant")
            (record,) = sink.add_records([f"row {first + at}"], [tuple(dims)])
            sink.add_values(record, [kind], [parsed.value * scale])


def _read_rows(text: str) -> Iterator[list[str]]:
    """The CSV's rows, read lazily; a csv.Error becomes a ParseError naming the line."""
    first_line = next((line for line in _lines(text) if line.strip()), "")
    delimiter = max(_DELIMITERS, key=first_line.count)
    # A big file's lines one at a time: io.StringIO would hold the text again, at up to 4 bytes
    # a character. Below that size StringIO's C line splitting is the faster: the 3,130 CSVs of
    # a 10,000-file sample pile spent 0.34 s reading rows through the generator, 0.17 s so
    # (cProfile). Bare "\r" line ends (old Mac files) need StringIO's own newline handling.
    small = len(text) < _STREAMED_CHARS
    lines = io.StringIO(text, newline="") if small or _has_bare_cr(text) else _lines(text)
    reader = csv.reader(lines, delimiter=delimiter)
    try:
        yield from reader
    except csv.Error as error:
        raise ParseError(f"invalid CSV: line {reader.line_num}: {error}") from error


def _lines(text: str) -> Iterator[str]:
    """The text's lines with their line ends, without splitting it whole."""
    start, length = 0, len(text)
    while start < length:
        end = text.find("\n", start)
        if end < 0:
            yield text[start:]
            return
        yield text[start : end + 1]
        start = end + 1


def _has_bare_cr(text: str) -> bool:
    return "\r" in text and text.count("\r") != text.count("\r\n")


def _find_header(rows: list[list[str]]) -> int:
    """The first row wide enough to be the table's header and mostly not numbers; rows before
    it are preamble (tool banners, comments)."""
    width = max(len(row) for row in rows[:_HEADER_SEARCH_ROWS])
    for at, row in enumerate(rows[:_HEADER_SEARCH_ROWS]):
        cells = [cell.strip() for cell in row if cell.strip()]
        if not cells or len(row) < min(2, width) or cells[0].startswith("#"):
            continue
        numbers = sum(_is_number(cell) for cell in cells)
        if numbers * 2 <= len(cells):
            return at
        break
    raise ParseError("invalid CSV: no header row (the first rows are all numbers or blank)")


def _units_row(body: list[list[str]], width: int) -> list[str] | None:
    """A row of units right under the header ("", "us", "%", "register/thread"), recognised by
    holding only short unit-like words and by numbers following under them."""
    if len(body) < 2:
        return None
    candidate = [cell.strip() for cell in body[0]]
    filled = [(i, cell) for i, cell in enumerate(candidate) if cell]
    if not filled:
        return None
    for _, cell in filled:
        if len(cell) > _MAX_UNIT_LENGTH or " " in cell or _is_number(cell):
            return None
    following = body[1]
    if not any(i < len(following) and _is_number(following[i]) for i, _ in filled):
        return None
    return candidate + [""] * (width - len(candidate))


def _is_number(cell: str) -> bool:
    # Only text starting like a number can be one; header rows hold hundreds of names.
    cell = cell.strip()
    return bool(cell) and cell[0] in _NUMBER_STARTS and parse_value(cell) is not None


@functools.lru_cache(maxsize=4096)
def _column(index: int, name: str, unit: str | None) -> _Column:
    name = name or f"column_{index + 1}"
    unit = unit or None
    dimension = dim.dimension_for_name(name)
    if dimension == dim.OPTIONS:
        return _Column(index, name, "options", None, unit)
    if dimension is not None:
        return _Column(index, name, "dimension", dimension, unit)
    key = normalise_key(name)
    if key in dim.OUTPUT_TEXT_KEYS:
        return _Column(index, name, "output", None, unit)
    if key in dim.FREE_TEXT_KEYS or dim.is_identifier_name(name) or dim.is_timestamp_name(name):
        return _Column(index, name, "ignored", None, unit)
    model = _model_of_column(name)
    if model is not None:  # "llama3.1:8b tok/s": that model's throughput
        return _Column(index, name, "model metric", model, unit)
    return _Column(index, name, "metric", None, unit)


def _model_of_column(name: str) -> str | None:
    """The model a metric column's name gives with a metric the vocabulary knows."""
    models = dim.model_refs(name)
    if len(models) != 1:
        return None
    rest = dim.without_model_refs(name)
    return models[0] if rest and resolve_metric(rest).metric in canonical_metrics() else None


class _Table(NamedTuple):
    """Column positions by role, with each metric column's name resolved once."""

    # index, name as written, units-row unit, the sink's kind for the resolved metric and unit,
    # and the scale to that unit
    metrics: list[tuple[int, str, str | None, int, float]]
    dimensions: list[tuple[int, str, str]]
    options: list[int]
    outputs: list[int]
    error_column: str
    # columns naming a model ("llama3.1:8b tok/s"): index, name, the model, kind, scale
    by_model: list[tuple[int, str, str, int, float]]


def _record_dimensions(
    body: list[list[str]], table: _Table
) -> tuple[list[tuple[Any, ...]], list[tuple[int, str, set[str]]]]:
    """Each row's dimensions, in DIMENSIONS order, and per dimension column the cells that are
    no valid value of it (column index, name, cells): a number among them is a measurement by
    that name. Worked out column by column, as a column holds a few distinct values."""
    count, nothing = len(body), [None] * len(body)
    numbers: list[tuple[int, str, set[str]]] = []
    columns: dict[str, list[Any]] = {}

    def column(dimension: str) -> list[Any]:
        found = columns.get(dimension)
        if found is None:
            found = columns[dimension] = [None] * count
        return found

    # A row's first valid value of a dimension counts; later columns only fill the gaps.
    for index, dimension, name in table.dimensions:
        cells = [row[index] if index < len(row) else "" for row in body]
        by_cell = {cell: _decode_cell(dimension, cell) for cell in set(cells)}
        decoded = [by_cell[cell] for cell in cells]
        if dimension not in ("error", "timestamp", "hardware"):  # a device index is no measurement
            invalid = {cell for cell, value in by_cell.items() if value is None and cell.strip()}
            if invalid:
                numbers.append((index, name, invalid))
        values = columns.get(dimension)
        columns[dimension] = (
            decoded
            if values is None
            else [a if a is not None else b for a, b in zip(values, decoded, strict=True)]
        )
    for index in table.options:
        for at, row in enumerate(body):
            if index < len(row) and row[index]:
                for name, value in _options_items(row[index].strip()):
                    values = column(name)
                    if values[at] is None:
                        values[at] = value
    if table.outputs:
        errors = column("error")
        for at, row in enumerate(body):
            if errors[at] is None:
                errors[at] = _output_error(row, table.outputs)
    config, model = columns.get("config"), columns.get("model")
    if config or model:
        for at, (label, name) in enumerate(zip(config or nothing, model or nothing, strict=True)):
            if label or name:
                for dimension, value in dim.implied_dimensions(label, name):
                    values = column(dimension)
                    if values[at] is None:
                        values[at] = value
    dimensions = zip(*(columns.get(name, nothing) for name in dim.DIMENSION_NAMES), strict=True)
    return list(dimensions), numbers


def _output_error(row: list[str], outputs: list[int]) -> str | None:
    """An error written in the row's first output text that holds one."""
    for index in outputs:
        error = dim.error_in_output(row[index]) if index < len(row) else None
        if error:
            return error
    return None


def _decode_cell(dimension: str, cell: str) -> Any:
    cell = cell.strip()
    return dim.decode_dimension(dimension, cell) if cell else None


def _add_values(
    row: list[str],
    record: int,
    table: _Table,
    numbers: list[tuple[int, str, set[str]]],
    sink: MetricSink,
) -> None:
    width = len(row)
    kinds: list[int] = []
    values: list[float] = []
    for index, raw, written_unit, kind, scale in table.metrics:
        if index >= width:
            break
        cell = row[index]
        if not cell:
            continue
        try:
            value = float(cell)  # the common case, without the general parser's cost
        except ValueError:
            value = _NOT_A_NUMBER
        if value - value != 0.0 or "_" in cell:  # nan, inf, or not a plain number
            parsed = parse_value(cell.strip())
            if parsed is None:
                continue
            value = parsed.value
            if parsed.unit not in (None, written_unit):
                resolved = resolve_metric(raw, parsed.unit)
                kind = sink.metric_kind(
                    resolved.metric, raw, resolved.unit, resolved.statistic, resolved.scale
                )
                scale = resolved.scale
        kinds.append(kind)
        values.append(value * scale)
    for index, raw, invalid in numbers:
        cell = row[index] if index < width else ""
        parsed = parse_value(cell.strip()) if cell in invalid else None
        if parsed is not None:
            resolved = resolve_metric(raw, parsed.unit)
            kinds.append(
                sink.metric_kind(
                    resolved.metric, raw, resolved.unit, resolved.statistic, resolved.scale
                )
            )
            values.append(parsed.value * resolved.scale)
    sink.add_values(record, kinds, values)
    sink.add_failure_if_empty(record, len(kinds), table.error_column)


@functools.lru_cache(maxsize=1024)
def _options_items(cell: str) -> tuple[tuple[str, Any], ...]:
    return tuple(dim.decode_options(cell).items())


def _options(cell: str) -> dict[str, Any]:
    return dict(_options_items(cell))
