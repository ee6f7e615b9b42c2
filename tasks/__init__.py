"""Chimera Flows stages: pure functions per stage, with thin Prefect task wrappers."""

from tasks.allocator import return_big_blocks_at_once

# Once per process, when the stages are first imported: before any of them allocates.
return_big_blocks_at_once()
