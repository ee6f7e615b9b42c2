"""sniff_format: the format from name and content, and why a file is not parsed."""

from __future__ import annotations

import codecs

import pytest

from tasks.parse.formats import decode_text, sniff_format


@pytest.mark.parametrize(
    ("name", "head", "expected"),
    [
        ("runs.csv", b"model,tokens_s\nm,1\n", ("csv", None)),
        ("data.JSON", b'{"a": 1}', ("json", None)),
        ("report.md", b"# Report\n", ("markdown", None)),
        ("notes.txt", b"CHIMERA REPORT\n", ("text", None)),
        (
            "ollama.log",
            b"\x1b[?25l\x1b[1G\xe2\xa0\x99 \x1b[K\x1b[?25htotal duration: 1s\n",
            ("text", None),
        ),
        ("diagram.py", b"import os\n", ("python", "Python source, not benchmark data")),
        ("diagram.py", b"", ("empty", "empty file")),
        ("runs.csv", b"\n\n  \n", ("empty", "blank file (only whitespace)")),
        ("dump", b'  {"a": [1]}', ("json", None)),
        ("results.", b"model,tokens_s\nm,1\nn,2\n", ("csv", None)),
    ],
)
def test_sniff_format_by_extension_and_content(
    name: str, head: bytes, expected: tuple[str, str | None]
) -> None:
    assert sniff_format(name, head) == expected


def test_binary_files_are_named_by_their_magic_or_extension() -> None:
    assert sniff_format("ncu_ollama.sqlite.ncu-rep", b"NVR\x00\x02\x00\x00\x00") == (
        "binary",
        "binary file (Nsight Compute report)",
    )
    assert sniff_format("blob.bin", b"\x00\x01\x02\x03") == (
        "binary",
        "binary file (unknown kind, .bin)",
    )
    assert sniff_format("core.", b"\x00\x01") == (
        "binary",
        "binary file (unknown kind, no extension)",
    )


def test_utf16_text_is_not_a_csv_table() -> None:
    message = "==ERROR== the argument for option '--page' is invalid.\r\n"
    with_bom = codecs.BOM_UTF16_LE + message.encode("utf-16-le")
    # The same text after a tool re-encoded the byte-order mark as UTF-8 ("ÿþ").
    mangled_bom = b"\xc3\xbf\xc3\xbe" + message.encode("utf-16-le")
    without_bom = message.encode("utf-16-le")
    for head in (with_bom, mangled_bom, without_bom):
        fmt, reason = sniff_format("ncu_summary.csv", head)
        assert fmt == "text"
        assert reason == (
            "UTF-16 text, not a CSV table: ==ERROR== the argument for option '--page' is invalid."
        )


def test_decode_text_drops_a_bom_and_survives_windows_bytes() -> None:
    assert decode_text(b"\xef\xbb\xbfa,b") == "a,b"
    assert decode_text("54.7°C".encode("cp1252")) == "54.7°C"
