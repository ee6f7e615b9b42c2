"""Which file changes matter, and when a burst of them is over.

In: raw change notices (a path and the time it was seen). Out: per watched folder, the benchmark
files whose burst has gone quiet, ready to be hashed and announced. Pure logic, clock injected,
so it is tested without touching the disk or sleeping.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

BENCHMARK_SUFFIXES = frozenset({".csv", ".json", ".md"})


def is_benchmark_file(path: Path) -> bool:
    """A CSV, JSON or Markdown file that is not hidden (editors and copiers write hidden temps)."""
    return path.suffix.lower() in BENCHMARK_SUFFIXES and not path.name.startswith(".")


def watched_folder_of(path: Path, folders: list[Path]) -> Path | None:
    """The watched folder a path lies under (the deepest, when folders nest), or None."""
    owners = [folder for folder in folders if path.is_relative_to(folder)]
    return max(owners, key=lambda folder: len(folder.parts)) if owners else None


@dataclass
class _Burst:
    first_seen: float
    last_seen: float
    paths: set[Path] = field(default_factory=set)


@dataclass
class Debouncer:
    """Collects changes per folder and releases a folder's files once it has been quiet.

    A folder is released when no change arrived for `quiet_s` seconds, or `max_wait_s` after its
    first pending change (so a folder that never stops changing is still announced), and never
    sooner than `cooldown_s` after its previous release. Releasing a folder's files together
    means one burst reaches the server as one group of events; the cooldown keeps the next group
    out of the deployment trigger's window, which would otherwise swallow it.
    """

    quiet_s: float = 2.0
    max_wait_s: float = 20.0
    cooldown_s: float = 15.0
    _bursts: dict[Path, _Burst] = field(default_factory=dict)
    _released: dict[Path, float] = field(default_factory=dict)

    def note(self, path: Path, folder: Path, now: float) -> None:
        burst = self._bursts.setdefault(folder, _Burst(first_seen=now, last_seen=now))
        burst.last_seen = now
        burst.paths.add(path)

    def due(self, now: float) -> dict[Path, list[Path]]:
        """Pop and return, per folder, the files of every burst that is over."""
        ready = [
            folder
            for folder, burst in self._bursts.items()
            if (now - burst.last_seen >= self.quiet_s or now - burst.first_seen >= self.max_wait_s)
            and now - self._released.get(folder, -math.inf) >= self.cooldown_s
        ]
        self._released.update({folder: now for folder in ready})
        return {folder: sorted(self._bursts.pop(folder).paths) for folder in ready}

    def pending(self) -> int:
        return sum(len(burst.paths) for burst in self._bursts.values())


@dataclass
class ContentLedger:
    """The sha256 last announced per file, so a touch or a rewrite with the same bytes is quiet."""

    hashes: dict[str, str] = field(default_factory=dict)

    def is_new_content(self, path: Path, sha256: str) -> bool:
        return self.hashes.get(str(path)) != sha256

    def record(self, path: Path, sha256: str) -> None:
        self.hashes[str(path)] = sha256
