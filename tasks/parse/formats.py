"""What kind of file this is, from its name and its first bytes, and whether it is parsed.

In: a file name and the first 8 KiB of its content. Out: (format, reason): the format is one of
csv | json | markdown | text | python | binary | empty; the reason is None when the file is
parsed (CSV, JSON, Markdown, or text that a benchmark tool may have written: logs, SQL, YAML)
and otherwise says, in words, why it is only inventoried.
Also `decode_text`: the text of a file that is parsed.
"""

from __future__ import annotations

import codecs

PARSED_FORMATS = frozenset({"csv", "json", "markdown", "text"})

_EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".json": "json",
    ".jsonl": "json",
    ".ndjson": "json",
    ".yaml": "text",
    ".yml": "text",
    ".sql": "text",
    ".out": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".log": "text",
    ".text": "text",
    ".rst": "text",
    ".py": "python",
}
_MAGIC = (
    (b"NVR\x00", "Nsight Compute report"),
    (b"SQLite format 3\x00", "SQLite database"),
    (b"PK\x03\x04", "ZIP archive"),
    (b"\x89PNG", "PNG image"),
    (b"%PDF", "PDF document"),
    (b"PAR1", "Parquet file"),
    (b"\x1f\x8b", "gzip archive"),
    (b"GGUF", "GGUF model weights"),
)
_EXTENSION_KINDS = {
    ".ncu-rep": "Nsight Compute report",
    ".nsys-rep": "Nsight Systems report",
    ".qdrep": "Nsight Systems report",
    ".sqlite": "SQLite database",
    ".png": "PNG image",
    ".jpg": "JPEG image",
    ".pdf": "PDF document",
    ".parquet": "Parquet file",
    ".gguf": "GGUF model weights",
}
# A UTF-16 byte-order mark, as written, or after a tool re-encoded it as UTF-8 ("ÿþ").
_UTF16_MARKS = (
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (b"\xc3\xbf\xc3\xbe", "utf-16-le"),
)
_PREVIEW_CHARS = 80


def sniff_format(name: str, head: bytes) -> tuple[str, str | None]:
    """Format from extension AND content, and why the file is not parsed (None when it is)."""
    suffix = _suffix(name)
    if not head:
        return "empty", "empty file"
    if not head.strip():
        return "empty", "blank file (only whitespace)"
    utf16 = _utf16_text(head)
    if utf16 is not None:
        kind = {"csv": "a CSV table", "json": "JSON", "markdown": "Markdown"}.get(
            _EXTENSIONS.get(suffix, ""), "parsed"
        )
        return "text", f"UTF-16 text, not {kind}: {_preview(utf16)}"
    if _looks_binary(head):
        kind = _binary_kind(head, suffix)
        return "binary", f"binary file ({kind})"
    fmt = _EXTENSIONS.get(suffix) or _format_from_content(head)
    if fmt == "python":
        return "python", "Python source, not benchmark data"
    # Text is parsed only if a benchmark tool's reader recognises it (a log of llama-bench or
    # `ollama run --verbose`, llama-bench SQL, a GuideLLM YAML report); else it is skipped.
    return fmt, None


def decode_text(data: bytes) -> str:
    """The text of a parsed file: UTF-8 (a BOM is dropped); bytes that are not UTF-8 are read
    as Windows-1252, which benchmark scripts on Windows write, so one stray byte does not
    lose a whole report."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _suffix(name: str) -> str:
    """The lower-cased extension, as PurePath(name).suffixes would give it, or two of them when
    the pair is a known kind. Plain string work: this runs once per file found."""
    if name.endswith("."):
        return ""
    parts = name.lstrip(".").lower().split(".")[1:]
    if len(parts) >= 2 and f".{parts[-2]}.{parts[-1]}" in _EXTENSION_KINDS:
        return f".{parts[-2]}.{parts[-1]}"
    return f".{parts[-1]}" if parts else ""


def _utf16_text(head: bytes) -> str | None:
    """The text of UTF-16 content (with or without a byte-order mark), else None."""
    for mark, encoding in _UTF16_MARKS:
        if head.startswith(mark):
            return head[len(mark) :].decode(encoding, errors="replace")
    sample = head[:512]
    if len(sample) >= 8 and b"\x00" in sample:  # UTF-16 text without a mark has zero bytes
        even_zeros = sample[0::2].count(0) / len(sample[0::2])
        odd_zeros = sample[1::2].count(0) / len(sample[1::2])
        if odd_zeros > 0.4 and even_zeros < 0.05:
            return head.decode("utf-16-le", errors="replace")
        if even_zeros > 0.4 and odd_zeros < 0.05:
            return head.decode("utf-16-be", errors="replace")
    return None


_MAGIC_PREFIXES = tuple(magic for magic, _ in _MAGIC)
# ESC (27) is left out: terminal output (spinners, colours) is text full of escape codes.
_CONTROL_BYTES = bytes([*range(9), *range(14, 27), *range(28, 32)])


def _looks_binary(head: bytes) -> bool:
    if b"\x00" in head or head.startswith(_MAGIC_PREFIXES):
        return True
    window = head[:4096]
    # bytes.translate deletes the control bytes in C: the length lost is their count.
    controls = len(window) - len(window.translate(None, _CONTROL_BYTES))
    return controls > len(window) * 0.05


def _binary_kind(head: bytes, suffix: str) -> str:
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    return _EXTENSION_KINDS.get(suffix, f"unknown kind, {suffix or 'no extension'}")


def _preview(text: str) -> str:
    line = " ".join(text.split())
    return line[:_PREVIEW_CHARS] + ("..." if len(line) > _PREVIEW_CHARS else "")


def _format_from_content(head: bytes) -> str:
    """A format for a file whose extension says nothing."""
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if text[:1] in ("{", "["):
        return "json"
    if text.startswith(("import ", "from ", "def ", "#!/usr/bin/env python")):
        return "python"
    lines = [line for line in text.splitlines()[:20] if line.strip()]
    if any(line.lstrip().startswith("#") for line in lines[:3]) or any(
        line.strip().startswith("|") and set(line.strip()) <= set("|-: ") for line in lines
    ):
        return "markdown"
    if len(lines) >= 2 and lines[0].count(",") >= 1:
        commas = {line.count(",") for line in lines[:5]}
        if len(commas) == 1:
            return "csv"
    return "text"
