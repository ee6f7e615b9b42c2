"""How this process frees memory: glibc's malloc, Polars' allocator, and Python's cyclic garbage
collector."""

from __future__ import annotations

import contextlib
import ctypes
import gc
import os
import sys
from collections.abc import Iterator

_M_MMAP_THRESHOLD = -3  # mallopt's parameter number (glibc's malloc.h)
MMAP_THRESHOLD_BYTES = 128 * 1024  # glibc's own starting value, kept fixed


def return_big_blocks_at_once() -> bool:
    """Have glibc serve every allocation of 128 KiB or more from a mapping of its own, which
    free() hands back to the system at once. By default glibc raises that threshold to the size
    of each such block freed (up to 32 MiB), after which big blocks come from its heap and stay
    in the process once freed: Python's lists of a big file's values, pandas' columns during
    validation. A 50 MB CSV's run peaked at 1,518 and 1,529 MB by default, at 1,463 and 1,401 MB
    with the threshold fixed; a 1,000-file ingest took as long (bench/RESULTS.md, 2026-12-06,
    night). Polars allocates with its own allocator, which this leaves alone. A threshold the
    user set (MALLOC_MMAP_THRESHOLD_) wins; where there is no glibc this does nothing. Returns
    whether the threshold was set."""
    if not sys.platform.startswith("linux") or "MALLOC_MMAP_THRESHOLD_" in os.environ:
        return False
    try:
        # The process's own symbols, where its C library's are: looking the library up by name
        # (ctypes.util.find_library) took 5 ms, in every process that imports the stages.
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))


# Polars allocates with a jemalloc of its own, which reads its settings from this variable once,
# when Polars is loaded.
POLARS_ALLOCATOR_VARIABLE = "_RJEM_MALLOC_CONF"
POLARS_ALLOCATOR_SETTINGS = "dirty_decay_ms:0,muzzy_decay_ms:0"


def polars_returns_freed_memory_at_once() -> bool:
    """Have Polars' allocator hand the memory it frees back to the system at once. Polars keeps
    freed pages 0.5 s, then 1 s more, and hands them back only as it next allocates: each step
    of a run frees hundreds of MB of columns, and the next step's peak came on top of what the
    last one freed. A 50 MB CSV's whole run, each figure one run (bench/RESULTS.md):
    - 2026-12-07, morning: 1,254 MB with Polars' settings, 55.8 s; within 0.2 s from a thread of
      jemalloc's own (background_thread:true,dirty_decay_ms:200), 1,149 and 1,154 MB, 56.3 and
      57.1 s; at once, 1,093 MB in 83 s.
    - 2026-12-07, day, with validation and the measurements lighter: within 0.2 s, 1,047 and
      1,052 MB in 54.5 and 54.4 s; at once, 939, 944, 943 and 941 MB in 60.5, 62.6, 64.7 and
      71.6 s (the code before, within 0.2 s: 1,063 and 1,058 MB in 58.9 and 63.8 s). Between
      them, 0.05 s (with allocations of 1 MiB and more handed back at once): 1,012 and 988 MB.
    What it costs: every column a step allocates after one was freed is fresh pages, faulted in
    and zeroed by the kernel. The pile step (tasks/parse/pile.py), which makes and drops many
    columns, took 1.15-1.2 s at once against 0.52-0.71 s within 0.5 s on a 10,000-file pile
    (2026-12-07, 10:00 UTC, before its columns were thinned); since then a 1,000- and a
    10,000-file ingest are as fast either way (bench_ingest_parse --against: -4% and +4%
    files/s by the medians), but on a 100,000-file pile that step took 6.3 and 7.4 s at once
    against 5.0 and 4.5 s (1.34 million page faults against 0.38-0.44 million; one harness,
    the same code). Polars puts these after its own, so they are the ones in force. Only
    before Polars is loaded, and never where the user set the variable (a user who would
    rather trade memory for speed sets it). Returns whether they were set."""
    loaded = any(name == "polars" or name.startswith("_polars") for name in sys.modules)
    if loaded or POLARS_ALLOCATOR_VARIABLE in os.environ:
        return False
    os.environ[POLARS_ALLOCATOR_VARIABLE] = POLARS_ALLOCATOR_SETTINGS
    return True


@contextlib.contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """No cyclic garbage collection inside the block; as it was afterwards.

    Ingest allocates millions of tuples and lists that live until the table is built (the
    parsers' rows; the workers' rows, unpickled), and holds no reference cycles worth finding.
    Each of them counts towards the collector's thresholds, so it ran full collections over
    every object of the process: 1, 2 and 8 of them in the 1,000-, 10,000- and 100,000-file
    ingest, 0.18, 0.36 and 2.0 s, with 0.7 s of younger collections more at 100,000 files
    (bench/RESULTS.md, 2026-12-07). Reference counting still frees everything else at once."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
