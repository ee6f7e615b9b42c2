"""Readers of the standard benchmark tools' own outputs, chosen by content, not by path.

`find_reader(document)` tries the readers that can read the file's sniffed format, most
specific first, and returns the first whose signature matches with the tool's version as the
file states it; None sends the file to the generic CSV, JSON or Markdown parser.
"""

from __future__ import annotations

from tasks.parse.tools import guidellm, llama_bench, llama_server, llmperf, nvidia_perf, ollama
from tasks.parse.tools import vllm_bench as vllm
from tasks.parse.tools.base import Document, ToolReader

_JSON = (
    *llama_bench.READERS[:1],
    *llama_server.READERS,  # before ollama: a server response may also carry eval counts
    *ollama.READERS[:1],
    *vllm.READERS,
    *guidellm.READERS,
    *nvidia_perf.READERS[:2],
    *llmperf.READERS,
)
_CSV = (llama_bench.READERS[1], *nvidia_perf.READERS[2:])
_TEXT = (
    ollama.READERS[1],
    llama_bench.READERS[3],
    llama_bench.READERS[2],
    guidellm.READERS[0],
)
_BY_FORMAT: dict[str, tuple[ToolReader, ...]] = {
    "json": _JSON,
    "csv": _CSV,
    "markdown": (llama_bench.READERS[3], ollama.READERS[1]),
    "text": _TEXT + _JSON,
}
TOOL_NAMES = tuple(sorted({r.name for readers in _BY_FORMAT.values() for r in readers}))


def find_reader(document: Document) -> tuple[ToolReader, str] | None:
    """The tool reader for the document and the tool's version ("" when unstated), or None."""
    for reader in _BY_FORMAT.get(document.format, ()):
        version = reader.detect(document)
        if version is not None:
            return reader, version
    return None


__all__ = ["TOOL_NAMES", "Document", "ToolReader", "find_reader"]
