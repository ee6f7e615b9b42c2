"""Discover: source folders in, the file inventory (tasks.schemas.FILES) out.

Every file is recorded with its size, mtime, sha256 and sniffed format, whether or not it holds
metrics. Only regular files are read: a FIFO, socket or device is listed with its reason, never
opened for reading (a FIFO would block the run); a symlink is read only when it points inside its
source folder; a name that is not valid UTF-8 is listed (with U+FFFD for the bytes) and not read.
Files whose content repeats an earlier file byte for byte are marked as duplicates of the first
one, so their rows are parsed once and never counted twice. Paths are recorded relative to the
source folder's parent ("chimeraforge/outputs/x.csv"), so files of two sources never clash."""

from __future__ import annotations

import hashlib
import os
import stat as stat_kinds
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

import polars as pl

from tasks.parse.formats import sniff_format
from tasks.schemas import FILES

SNIFF_BYTES = 8192


class SourceError(ValueError):
    """A source folder is missing, not a folder, or holds no files."""


def _walk(source: Path, root: Path | None = None) -> Iterator[tuple[str, str]]:
    """(folder, file name) of every file, hidden ones left out; folder is relative to `root`
    (the source's parent by default), "/"-separated. A folder's files come in name order, then
    its subfolders', each in name order: a stable order makes "first of the duplicates"
    reproducible. A symlink to a folder is not followed (it may lead out of the source).
    Plain strings and scandir's cached entry types, not os.walk: os.walk asks the file system
    once more per folder whether it is a symlink, 13% of discover at 100,000 files."""
    base = len(str(root or source.parent).rstrip(os.sep)) + 1
    folders = [str(source)]
    while folders:
        path = folders.pop()
        try:
            with os.scandir(path) as listing:
                entries = [entry for entry in listing if not entry.name.startswith(".")]
        except OSError:
            continue  # a folder that cannot be listed holds nothing we can read (as os.walk)
        names, subfolders = [], []
        for entry in entries:
            try:
                is_folder = entry.is_dir()
            except OSError:
                is_folder = False
            if not is_folder:
                names.append(entry.name)
            elif not entry.is_symlink():
                subfolders.append(entry.path)
        folder = path[base:].replace(os.sep, "/")
        for name in sorted(names):
            yield folder, name
        folders += sorted(subfolders, reverse=True)  # popped in name order


class NotRead(OSError):
    """A file that is listed but must not be read; the message is the reason."""


# Opened without following a symlink and without blocking: a FIFO opens at once and is then
# seen by fstat, at no extra system call for the regular files that are nearly all of a pile.
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
_KINDS = (
    (stat_kinds.S_ISFIFO, "a FIFO"),
    (stat_kinds.S_ISSOCK, "a socket"),
    (stat_kinds.S_ISCHR, "a character device"),
    (stat_kinds.S_ISBLK, "a block device"),
)


def _open_regular(path: str, source: str) -> tuple[int, os.stat_result]:
    """A descriptor of the file and its stat, or NotRead when it is no regular file or a
    symlink out of the source folder."""
    try:
        descriptor = os.open(path, _OPEN_FLAGS)
    except OSError as error:
        if not os.path.islink(path):
            raise
        target = os.path.realpath(path)
        if os.path.commonpath([target, source]) != source:
            raise NotRead(f"a symlink to {target}, outside the source folder: not read") from error
        descriptor = os.open(target, _OPEN_FLAGS)
    stat = os.fstat(descriptor)
    mode = stat.st_mode
    if not stat_kinds.S_ISREG(mode):
        os.close(descriptor)
        kind = next((what for test, what in _KINDS if test(mode)), "not a regular file")
        raise NotRead(f"{kind}, not a regular file: not read")
    return descriptor, stat


def _valid_name(text: str) -> bool:
    """Whether a name os.walk gave is real UTF-8 (bytes that are not come back as surrogates)."""
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _printable_name(text: str) -> str:
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _inventory_row(path: str, source: str, folder: str, name: str) -> tuple[dict, bytes | None]:
    """The file's FILES row, and its bytes when one read of SNIFF_BYTES took them all."""
    # os-level calls, not open(): a buffered file costs three more system calls per file
    # (and as many hand-overs of the GIL), which was a third of this loop for small files.
    descriptor, stat = _open_regular(path, source)
    try:
        head = os.read(descriptor, SNIFF_BYTES)
        digest = hashlib.sha256(head)
        whole = len(head) == stat.st_size < SNIFF_BYTES
        if not whole:
            while chunk := os.read(descriptor, 1 << 20):
                digest.update(chunk)
    finally:
        os.close(descriptor)
    fmt, reason = sniff_format(name, head)
    row = {
        "path": path,
        "source": source,
        "relative_path": f"{folder}/{name}",
        "folder": folder,
        "format": fmt,
        "size_bytes": stat.st_size,
        "mtime": datetime.fromtimestamp(stat.st_mtime, tz=UTC),
        "sha256": digest.hexdigest(),
        "status": "pending" if reason is None else "skipped",
        "reason": reason,
        "duplicate_of": None,
        "metric_rows": 0,
    }
    return row, head if whole else None


def check_sources(sources: Sequence[Path]) -> list[Path]:
    """Resolve the source folders; raise SourceError with a one-line reason for a bad one."""
    resolved = []
    for source in sources:
        path = Path(source).expanduser().resolve()
        if not path.exists():
            raise SourceError(f"source folder not found: {source}")
        if not path.is_dir():
            raise SourceError(f"source is not a folder: {source}")
        if next(_walk(path), None) is None:
            raise SourceError(f"source folder has no files: {source}")
        resolved.append(path)
    return resolved


class FileEntry(NamedTuple):
    """A file found under a source: where it is and what to call it."""

    path: str
    source: str
    folder: str  # relative to the source's parent, "/"-separated
    name: str


def find_files(sources: Sequence[Path]) -> list[FileEntry]:
    """Every file under the sources, in a stable order (SourceError for a bad source)."""
    entries = []
    resolved = list(dict.fromkeys(check_sources(sources)))  # a source named twice counts once
    for source, root in zip(resolved, naming_roots(resolved), strict=True):
        root_text, source_text = str(root), str(source)
        entries += [
            FileEntry(os.path.join(root_text, folder, name), source_text, folder, name)
            for folder, name in _walk(source, root)
        ]
    return entries


def naming_roots(sources: Sequence[Path]) -> list[Path]:
    """The folder each source's relative paths start from: its parent, or further up while
    another source would get the same name ("a/tools" and "b/tools" -> "a/tools/...")."""
    depth = {source: 1 for source in sources}
    while True:
        names: dict[tuple[str, ...], list[Path]] = {}
        for source in sources:
            names.setdefault(source.parts[-depth[source] :], []).append(source)
        clashing = [s for group in names.values() if len(set(group)) > 1 for s in group]
        growable = [s for s in clashing if depth[s] < len(s.parts) - 1]
        if not growable:
            return [source.parents[depth[source] - 1] for source in sources]
        for source in growable:
            depth[source] += 1


def inventory_rows(
    entries: Sequence[FileEntry], contents: dict[str, bytes] | None = None
) -> list[dict]:
    """One FILES row per entry (hashed and sniffed), duplicates not yet marked. Given a
    `contents` dict, the bytes of every file read whole while hashing go there by path, so
    that parsing a small pile reads no file twice and parses exactly the bytes it hashed."""
    rows: list[dict] = []
    for path, source, folder, name in entries:
        try:
            if not _valid_name(path):
                raise NotRead("the file name is not valid UTF-8: listed, not read")
            row, data = _inventory_row(path, source, folder, name)
        except OSError as error:
            # A file that cannot or must not be read is inventoried with its reason; the others
            # go on.
            rows.append(
                {
                    "path": _printable_name(path),
                    "source": _printable_name(source),
                    "relative_path": _printable_name(f"{folder}/{name}"),
                    "folder": _printable_name(folder),
                    "status": "skipped" if isinstance(error, NotRead) else "error",
                    "reason": str(error)
                    if isinstance(error, NotRead)
                    else f"unreadable: {error.strerror or error}",
                }
            )
            continue
        rows.append(row)
        if contents is not None and data is not None and row["reason"] is None:
            contents[path] = data
    return rows


def inventory_frame(rows: Sequence[dict]) -> pl.DataFrame:
    """The FILES table of the rows in order, repeats of an earlier file's bytes marked."""
    first_by_hash: dict[str, str] = {}
    for row in rows:
        if row.get("sha256") is None:
            continue
        first = first_by_hash.setdefault(row["sha256"], row["relative_path"])
        if first != row["relative_path"] and row["size_bytes"] > 0:
            row["status"] = "duplicate"
            row["reason"] = f"same content as {first}"
            row["duplicate_of"] = first
    return pl.DataFrame(rows, schema=FILES) if rows else pl.DataFrame(schema=FILES)


def discover_files(sources: Sequence[Path]) -> pl.DataFrame:
    """Inventory every file under the sources: one FILES row each, duplicates marked.

    status is "pending" for files to parse, "skipped" (with a reason) for files that are not
    benchmark tables, and "duplicate" for repeats of an earlier file's bytes.
    """
    return inventory_frame(inventory_rows(find_files(sources)))
