"""Chimera Flows stages: pure functions per stage, with thin Prefect task wrappers."""

from tasks.allocator import polars_returns_freed_memory_at_once, return_big_blocks_at_once

# Once per process, when the stages are first imported: before any of them allocates (and
# before Polars is loaded, by this package's first import of it).
return_big_blocks_at_once()
polars_returns_freed_memory_at_once()
