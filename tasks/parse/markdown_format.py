"""Markdown reports -> metric rows from pipe tables and "- Name: value unit" lines.

In: the decoded text of a Markdown file. Out: records in a `MetricSink`, located
"table N row M" (N counts tables in the document, M data rows in the table) or "line L".
Copes with what report writers and converters do to Markdown: a table header glued to the end
of the previous line, a heading glued after a table row or a metric line, rows without their
closing pipe, empty first cells meaning "same as above", values like "3,503", "102.34 tokens/s",
"1.62s", "**+34%**". Dimensions come from dimension columns and labels (Config, Model, temp...),
from "- Model: conv" lines (for the rest of their section), from a heading naming one Ollama
model ("### Gemma3:270m - ...") or a GPU ("# Results on RTX 3090"), and a "Generated: <date>"
anywhere gives the timestamp.
Fenced code blocks are never read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, NamedTuple

from tasks.parse import dimensions as dim
from tasks.parse.records import MetricSink
from tasks.parse.values import parse_value, strip_markup
from tasks.parse.vocabulary import canonical_metrics, normalise_key, resolve_metric

_SEPARATOR = re.compile(r"^\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*$")
_HEADING = re.compile(r"^\s*(#{1,6})\s+(.*?)\s*#*\s*$")
# A heading glued after other text on the same line: "... 2781 ## QAT".
_HEADING_START = re.compile(r"#{1,6}\s+[^\s|#]")
_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")
_BOLD = r"(?:\*\*|__)"
_LABEL_VALUE = re.compile(
    rf"^{_BOLD}?(?P<label>[^:*_|`\s][^:*|]{{0,79}}?)\s*(?:{_BOLD}\s*:|:\s*{_BOLD}?)\s*(?P<value>.+)$"
)
# "**Temperature:** 0.3, Top_p: 0.9" holds two label/value pairs.
_NEXT_PAIR = re.compile(rf",\s+(?={_BOLD}?[A-Za-z][\w ()/-]{{0,40}}?{_BOLD}?\s*:\s)")
_GENERATED = re.compile(
    rf"Generated(?:\s+(?:on|at))?\s*{_BOLD}?\s*:?\s*{_BOLD}?\s*"
    r"(\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?)"
)
# First-column headers of tables that list one metric per row.
_LABEL_HEADERS = frozenset(
    normalise_key(n)
    for n in (
        "metric",
        "metrics",
        "measure",
        "kpi",
        "component",
        "parameter",
        "property",
        "item",
        "stat",
        "statistic",
        "key",
        "field",
        "setting",
    )
)
_VALUE_HEADERS = frozenset(normalise_key(n) for n in ("value", "values", "result", "specification"))
_MAX_LABEL_WORDS = 10


class _Heading(NamedTuple):
    line: int
    level: int
    text: str


class _Text(NamedTuple):
    line: int
    text: str


class _Table(NamedTuple):
    line: int
    header: list[str]
    rows: list[tuple[int, list[str]]]


def parse_markdown(text: str, sink: MetricSink) -> None:
    """Add the report's table rows and metric lines to the sink."""
    document_dims: dict[str, Any] = {}
    generated = _GENERATED.search(text)
    if generated:
        document_dims["timestamp"] = generated.group(1)
    sections: list[tuple[int, dict[str, Any]]] = [(0, document_dims)]
    table_number = 0
    heading = ""  # the nearest heading above: it may name what a table's columns measure
    for segment in _segments(text.splitlines()):
        if isinstance(segment, _Heading):
            while len(sections) > 1 and sections[-1][0] >= segment.level:
                sections.pop()
            sections.append((segment.level, _heading_dimensions(segment.text)))
            heading = segment.text
        elif isinstance(segment, _Table):
            table_number += 1
            _add_table(segment, table_number, _merged(sections), sink, heading)
        else:
            _add_line(segment, sections, sink)


def _merged(sections: list[tuple[int, dict[str, Any]]]) -> dict[str, Any]:
    dims: dict[str, Any] = {}
    for _, section_dims in sections:
        dims.update(section_dims)
    return dims


def _heading_dimensions(text: str) -> dict[str, Any]:
    """What a heading says of its section: the one model it names, the GPU it names
    ("# Results on RTX 3090")."""
    found: dict[str, Any] = {}
    models = set(dim.model_refs(text))
    if len(models) == 1:
        found["model"] = models.pop()
    gpu = dim.gpu_name(text)
    if gpu is not None:
        found["hardware"] = gpu
    return found


# --- splitting lines into headings, text and tables -------------------------------------------


def _segments(lines: list[str]) -> Iterator[_Heading | _Text | _Table]:
    in_fence = False
    count = len(lines)
    at = 0
    while at < count:
        line = lines[at]
        if ("`" in line or "~" in line) and line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        elif in_fence or not line or line.isspace():
            pass
        elif "|" in line and at + 1 < count and _is_separator(lines[at + 1]):
            width = len(_cells(lines[at + 1].strip()))
            header_line = at + 1
            prefix, header = _split_glued_header(line.strip(), width)
            if prefix:
                yield from _text_parts(prefix, at + 1)
            rows: list[tuple[int, list[str]]] = []
            trailing = None
            at += 2
            while at < count and lines[at].lstrip().startswith("|") and trailing is None:
                cells, trailing = _row_cells(lines[at].strip(), width)
                rows.append((at + 1, cells))
                at += 1
            yield _Table(header_line, header, rows)
            if trailing:
                yield from _text_parts(trailing, at)
            continue
        elif "#" in line and (" #" in line or line.lstrip().startswith("#")):
            yield from _text_parts(line, at + 1)
        else:
            yield _Text(at + 1, line.strip())
        at += 1


def _is_separator(line: str) -> bool:
    return "-" in line and "|" in line and _SEPARATOR.match(line) is not None


def _split_glued_headings(text: str) -> list[str]:
    """ "- Loss: 0.6 ## QAT" -> ["- Loss: 0.6", "## QAT"]; a str.find scan, as these lines
    can be thousands of characters long."""
    parts = []
    start = 0
    at = text.find(" #")
    while at != -1:
        hashes = at + 1
        if _HEADING_START.match(text, hashes) and text[start:at].strip():
            parts.append(text[start:at].rstrip())
            start = hashes
        at = text.find(" #", hashes + 1)
    parts.append(text[start:])
    return parts


def _text_parts(text: str, line: int) -> Iterator[_Heading | _Text]:
    parts = _split_glued_headings(text) if " #" in text else (text,)
    for part in parts:
        heading = _HEADING.match(part) if part.lstrip().startswith("#") else None
        if heading:
            yield _Heading(line, len(heading.group(1)), heading.group(2))
        elif part.strip():
            yield _Text(line, part.strip())


def _cells(row: str) -> list[str]:
    """Cells of a row with both outer pipes, or of one missing them."""
    parts = _UNESCAPED_PIPE.split(row)
    if row.startswith("|"):
        parts = parts[1:]
    if row.endswith("|") and parts:
        parts = parts[:-1]
    return [part.strip() for part in parts]


def _split_glued_header(line: str, width: int) -> tuple[str, list[str]]:
    """Text glued before a table header ("- DType: x | Backend | ... |") and the header cells:
    the header is the last `width` cells, counted from the right."""
    pipes = [match.start() for match in _UNESCAPED_PIPE.finditer(line)]
    needed = width + 1 if line.endswith("|") else width
    if line.startswith("|") or len(pipes) < needed:
        return "", _cells(line)
    start = pipes[-needed]
    return line[:start].strip(), _cells(line[start:])


def _row_cells(row: str, width: int) -> tuple[list[str], str | None]:
    """A row's cells and any text glued after it ("| ... | ## Next Steps")."""
    parts = [part.strip() for part in _UNESCAPED_PIPE.split(row)[1:]]
    trailing = None
    if row.endswith("|"):
        parts = parts[:-1]
    elif len(parts) > width:
        trailing = parts.pop()
    elif parts:
        # No closing pipe: a heading may be glued into the last cell.
        last, *glued = _split_glued_headings(parts[-1])
        if glued:
            parts[-1], trailing = last.strip(), " ".join(glued)
    return parts, trailing


# --- tables -----------------------------------------------------------------------------------


def _add_table(
    table: _Table, number: int, section_dims: dict[str, Any], sink: MetricSink, heading: str = ""
) -> None:
    header = [strip_markup(cell) for cell in table.header]
    if len(header) >= 2 and normalise_key(header[0]) in _LABEL_HEADERS:
        _add_label_table(table, header, number, section_dims, sink)
    else:
        _add_column_table(table, header, number, section_dims, sink, heading)


def _column_role(name: str) -> tuple[str, str | None]:
    dimension = dim.dimension_for_name(name, markdown=True)
    if dimension is not None and dimension != dim.OPTIONS:
        return "dimension", dimension
    key = normalise_key(name)
    if key in dim.NOTES_KEYS:
        return "notes", None
    if key in dim.OUTPUT_TEXT_KEYS:
        return "output", None
    if key in dim.FREE_TEXT_KEYS or dim.is_identifier_name(name) or dim.is_timestamp_name(name):
        return "ignored", None
    return "metric", None


def _add_column_table(
    table: _Table,
    header: list[str],
    number: int,
    section_dims: dict[str, Any],
    sink: MetricSink,
    heading: str = "",
) -> None:
    """One record per row; dimension columns describe it, the other columns are metrics. In a
    table whose columns are models (_model_columns), each model's cell is a record of its own."""
    roles = [_column_role(name) for name in header]
    by_model = _model_columns(header, roles, heading)
    above: dict[int, str] = {}
    for row_number, (_, cells) in enumerate(table.rows, start=1):
        dims = dict(section_dims)
        row_dims: dict[str, Any] = {}
        measured: list[tuple[str, str]] = []
        for index, (name, (role, dimension)) in enumerate(zip(header, roles, strict=False)):
            cell = cells[index] if index < len(cells) else ""
            if role == "dimension":
                # An empty dimension cell repeats the row above ("| | jit | 0.635 |").
                cell = cell or above.get(index, "")
                above[index] = cell
                found = dim.decode_report_dimension(dimension, cell) if cell else None
                if found is not None:
                    row_dims[found[0]] = found[1]
                elif cell and dimension not in ("error", "timestamp", "success", "hardware"):
                    measured.append((name, cell))
            elif role == "metric" and cell and index not in by_model:
                measured.append((name, cell))
            elif role == "notes":
                error = dim.error_in_note(cell)
                if error:
                    row_dims.setdefault("error", error)
            elif role == "output":
                error = dim.error_in_output(strip_markup(cell))
                if error:
                    row_dims.setdefault("error", error)
        dims.update(row_dims)
        failed = row_dims.get("error") is not None or row_dims.get("success") is False
        locator = f"table {number} row {row_number}"
        _add_measurements(locator, dict(dims), measured, sink, failed)
        for index, (model, metric) in by_model.items():
            cell = cells[index] if index < len(cells) else ""
            if cell:
                _add_measurements(locator, {**dims, "model": model}, [(metric, cell)], sink)


# "Throughput (tok/s) by model": what the heading says the model columns measure.
_BY_MODEL = re.compile(
    r"\s*[-,:]?\s*\b(?:by|per|for each|across|of)\s+(?:the\s+)?models?\b.*$", re.IGNORECASE
)


def _model_columns(
    header: list[str], roles: list[tuple[str, str | None]], heading: str
) -> dict[int, tuple[str, str]]:
    """The columns that each name a model, in a table whose rows are settings ("| Context |
    llama3.1:8b | qwen2.5:7b |"): index -> (the model, the name of what its cells measure).
    That name is what the header says besides the model ("llama3.1:8b tok/s"), else the
    heading above the table ("Throughput (tok/s) by model"), in the unit the header may give
    ("gemma3:4b ms" under "TTFT"); it must be a metric the vocabulary knows, or the table is
    read as before (each column a metric of its own)."""
    named = {
        index: (models[0], dim.without_model_refs(name))
        for index, (name, (role, _)) in enumerate(zip(header, roles, strict=False))
        if role == "metric" and len(models := dim.model_refs(name)) == 1
    }
    if len(named) < 2:
        return {}
    from_heading = _BY_MODEL.sub("", strip_markup(heading)).strip()
    columns = {}
    for index, (model, rest) in named.items():
        # the header's own name, or the heading's with the unit the header gives ("ms")
        names = [rest, f"{from_heading} ({rest})" if rest else from_heading]
        metric = next((n for n in names if n and _is_canonical(n)), None)
        if metric is None:
            return {}
        columns[index] = (model, metric)
    return columns


def _is_canonical(name: str) -> bool:
    return resolve_metric(name).metric in canonical_metrics()


def _add_label_table(
    table: _Table, header: list[str], number: int, section_dims: dict[str, Any], sink: MetricSink
) -> None:
    """Rows name metrics ("| Mean Throughput | 102.85 tokens/s |"). Extra value columns are
    models ("Gemma3:latest") or configurations ("Baseline", "Delta"); in a two-column table a
    row naming a dimension ("| Model | gemma3:latest |") applies to the whole table."""
    table_dims = dict(section_dims)
    metric_rows: list[tuple[int, str, list[str]]] = []
    for row_number, (_, cells) in enumerate(table.rows, start=1):
        label = strip_markup(cells[0]).rstrip(":").strip() if cells else ""
        if not label:
            continue
        dimension = dim.dimension_for_name(label, markdown=True)
        if len(header) == 2 and dimension not in (None, dim.OPTIONS) and len(cells) > 1:
            found = dim.decode_report_dimension(dimension, cells[1])
            if found is not None:
                table_dims[found[0]] = found[1]
                continue
        metric_rows.append((row_number, label, cells))
    column_dims = [_value_column_dimensions(name, len(header)) for name in header]
    for row_number, label, cells in metric_rows:
        for index in range(1, min(len(header), len(cells))):
            if cells[index]:
                dims = {**table_dims, **column_dims[index]}
                locator = f"table {number} row {row_number}"
                _add_measurements(locator, dims, [(label, cells[index])], sink)


def _value_column_dimensions(name: str, width: int) -> dict[str, Any]:
    if width <= 2 or normalise_key(name) in _VALUE_HEADERS or not name:
        return {}
    models = dim.model_refs(name)
    if len(models) == 1:
        return {"model": models[0]}
    return {"config": name}


def _add_measurements(
    locator: str,
    dims: dict[str, Any],
    measured: list[tuple[str, str]],
    sink: MetricSink,
    failed: bool = False,
) -> None:
    """A record for the values that parse; a failed table row without any still gets one."""
    values = []
    for name, cell in measured:
        parsed = parse_value(cell)
        if parsed is not None:
            values.append((name, parsed))
    if not values and not failed:
        return
    dim.complete_dimensions(dims)
    record = sink.add_record(locator, dims)
    for name, value in values:
        metric = resolve_metric(name, value.unit)
        sink.add_metric(
            record,
            metric.metric,
            name,
            value.value * metric.scale,
            metric.unit,
            metric.statistic,
            metric.scale,
        )
    sink.add_failure_if_empty(record, len(values), "error")


# --- "- Name: value" lines --------------------------------------------------------------------


def _add_line(text: _Text, sections: list[tuple[int, dict[str, Any]]], sink: MetricSink) -> None:
    """A metric line becomes a record; a dimension line ("- Model: conv", "**Config:** ...",
    or plain "Model: conv") sets that dimension for the rest of its section."""
    stripped = text.text
    if ":" not in stripped:
        return
    # A plain line ("Model: llama3.1:8b") sets a dimension; its numbers are prose, not metrics.
    plain = False
    if stripped[:2] in ("- ", "* ", "+ "):
        body = stripped[2:].strip()
    elif stripped.startswith(("**", "__")):
        body = stripped
    else:
        body, plain = stripped.strip(), True
    for label, value in _label_values(body):
        dimension = dim.dimension_for_name(label, markdown=True)
        if plain and dimension is None:
            continue
        if dimension == dim.OPTIONS:
            sections[-1][1].update(dim.decode_options(value))
            continue
        if dimension is not None:
            found = dim.decode_report_dimension(dimension, value)
            if found is not None:
                sections[-1][1][found[0]] = found[1]
                continue
        # In prose lines words after the number are prose ("304 tokens/s peak throughput").
        parsed = parse_value(value, trailing_words=False)
        if parsed is None:
            continue
        dims = dim.complete_dimensions(_merged(sections))
        record = sink.add_record(f"line {text.line}", dims)
        metric = resolve_metric(label, parsed.unit)
        sink.add_metric(
            record,
            metric.metric,
            label,
            parsed.value * metric.scale,
            metric.unit,
            metric.statistic,
            metric.scale,
        )


def _label_values(body: str) -> list[tuple[str, str]]:
    match = _LABEL_VALUE.match(body)
    if match is None:
        return []
    label = strip_markup(match["label"])
    # Metric names start with a letter; "- 270m: 0.06s" names a model variant, not a metric.
    if not label[:1].isalpha() or len(label.split()) > _MAX_LABEL_WORDS:
        return []
    first, *others = _NEXT_PAIR.split(match["value"])
    pairs = [(label, first.strip())]
    for other in others:
        pairs.extend(_label_values(other.strip()))
    return pairs
