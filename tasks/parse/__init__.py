"""Parsing benchmark files (CSV, JSON, Markdown) into the long PARSED_METRICS table.

`sniff_format` says what a file is and whether it is parsed; `parse_file` parses one file's
bytes; `parse_batch` reads and parses many files into one frame with an outcome per file.
"""

from tasks.parse.batch import FileOutcome, FileToParse, parse_batch, parse_file
from tasks.parse.formats import PARSED_FORMATS, sniff_format
from tasks.parse.records import ParseError

__all__ = [
    "PARSED_FORMATS",
    "FileOutcome",
    "FileToParse",
    "ParseError",
    "parse_batch",
    "parse_file",
    "sniff_format",
]
