"""Parse many files into one long metrics frame, one outcome per file.

In: `FileToParse` entries (path to read or the bytes already read, relative path, sha256,
sniffed format). Out: one PARSED_METRICS frame for the whole batch and a `FileOutcome` per
file: "parsed" with its row count and the reader that read it, "no_metrics" when it holds no
measured values, "skipped" for text that no tool reader recognises, or "error" with the reason.
A file is read by the reader of the benchmark tool that wrote it when its content has the
tool's signature (tasks.parse.tools), else by the generic reader of its format. A file that
cannot be read or parsed is reported and skipped; the others are parsed as usual.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NamedTuple

from tasks.allocator import cycle_collection_paused
from tasks.parse.csv_format import parse_csv
from tasks.parse.formats import decode_text
from tasks.parse.json_format import parse_json
from tasks.parse.markdown_format import parse_markdown
from tasks.parse.paths import path_dimensions
from tasks.parse.records import MetricSink, ParseError
from tasks.parse.tools import Document, find_reader

if TYPE_CHECKING:
    import polars as pl

_PARSERS: dict[str, Callable[[str, MetricSink], None]] = {
    "csv": parse_csv,
    "json": parse_json,
    "markdown": parse_markdown,
}
_NO_METRICS_REASON = {
    "csv": "no numeric metric cells found",
    "json": "no numeric values found",
    "markdown": "no tables or 'Name: value' lines with numbers found",
}
TEXT_NOT_RECOGNISED = "plain text, no benchmark tool's output recognised in it"


class FileToParse(NamedTuple):
    """A file to parse. A tuple, not a dataclass: a big pile makes 100,000 of them and sends
    each to a worker, and building frozen dataclasses was about 0.3 s of a 100,000-file run
    (py-spy)."""

    path: str  # where to read it
    relative_path: str  # what to call it: the rows' source_path
    sha256: str
    format: str  # csv | json | markdown, as sniff_format said
    data: bytes | None = None  # the bytes discover hashed, when it kept them; None: read path


class FileOutcome(NamedTuple):  # a tuple for the same reason as FileToParse
    relative_path: str
    status: str  # parsed | no_metrics | skipped | error
    reason: str | None  # why there are no metrics, or what went wrong; None when parsed
    metric_rows: int
    reader: str | None = None  # "llama-bench json", "generic csv"
    reader_version: str | None = None  # the tool's version as the file states it


class ParsedFile(NamedTuple):
    rows: int
    reader: str
    reader_version: str | None


class NotRecognised(ParseError):
    """Text that no tool reader recognises: inventoried, not parsed."""


def parse_into(
    sink: MetricSink, data: bytes, fmt: str, source_path: str, sha256: str
) -> ParsedFile:
    """Parse one file's bytes into the sink: its metric row count and the reader that read
    it. On ParseError (NotRecognised for text no tool wrote) the sink holds nothing of it."""
    if fmt not in _PARSERS and fmt != "text":
        raise ParseError(f"format {fmt!r} is not parsed (only csv, json, markdown and text are)")
    checkpoint = sink.checkpoint()
    sink.start_file(source_path, sha256, fmt)
    document = Document(decode_text(data), fmt)
    reader_name = f"generic {fmt}"
    try:
        reader, version = find_reader(document) or (None, None)
        reader_name = reader.name if reader is not None else reader_name
        # Before the reading: a big file's records are flushed to frames as it is read.
        sink.set_path_dimensions(path_dimensions(source_path, reader_name))
        if reader is not None:
            reader.read(document, sink)
        elif fmt == "text":
            raise NotRecognised(TEXT_NOT_RECOGNISED)
        elif fmt == "json":
            parse_json(document.text, sink, document=document)
        else:
            _PARSERS[fmt](document.text, sink)
    except ParseError:
        sink.rollback(checkpoint)
        raise
    except Exception as error:  # a file the parser did not foresee must not stop the batch
        sink.rollback(checkpoint)
        raise ParseError(
            f"could not parse as {reader_name}: {type(error).__name__}: {error}"
        ) from error
    return ParsedFile(sink.metric_count - checkpoint.metrics, reader_name, version or None)


def parse_batch(files: Sequence[FileToParse]) -> tuple[pl.DataFrame, list[FileOutcome]]:
    """Read and parse a batch of files into one frame; one broken file never stops the others."""
    sink, outcomes = parse_files(files)
    return sink.to_frame(), outcomes


def parse_files(files: Sequence[FileToParse]) -> tuple[MetricSink, list[FileOutcome]]:
    """parse_batch up to the frame: the sink holding the rows (plain lists, cheap to pickle)."""
    # Parsing allocates many short-lived dicts and tuples but no reference cycles, so the cyclic
    # garbage collector only costs time here (about a tenth of it).
    with cycle_collection_paused():
        return _parse_all(files)


def _parse_all(files: Sequence[FileToParse]) -> tuple[MetricSink, list[FileOutcome]]:
    sink = MetricSink()
    outcomes: list[FileOutcome] = []
    for file in files:
        data = file.data
        if data is None:
            try:
                # Unbuffered: one whole read needs no buffer, and saves system calls per file.
                with open(file.path, "rb", buffering=0) as handle:
                    data = handle.readall()
            except OSError as error:
                reason = f"cannot read file: {error.strerror or error}"
                outcomes.append(FileOutcome(file.relative_path, "error", reason, 0))
                continue
        try:
            parsed = parse_into(sink, data, file.format, file.relative_path, file.sha256)
        except NotRecognised as error:
            outcomes.append(FileOutcome(file.relative_path, "skipped", str(error), 0))
            continue
        except ParseError as error:
            outcomes.append(FileOutcome(file.relative_path, "error", str(error), 0))
            continue
        rows, reader, version = parsed
        if rows:
            outcomes.append(FileOutcome(file.relative_path, "parsed", None, rows, reader, version))
        else:
            reason = _NO_METRICS_REASON.get(file.format, "no metric values found")
            outcomes.append(
                FileOutcome(file.relative_path, "no_metrics", reason, 0, reader, version)
            )
    return sink, outcomes


def parse_file(data: bytes, fmt: str, source_path: str, sha256: str) -> pl.DataFrame:
    """One file's metric rows, exactly PARSED_METRICS; ParseError names what is wrong."""
    sink = MetricSink()
    parse_into(sink, data, fmt, source_path, sha256)
    return sink.to_frame()
