"""Watch benchmark folders and announce new or changed files to Prefect as events.

`FolderWatcher(folders, state_dir, EventPoster.from_prefect_settings()).run()` is what
`chimera watch` runs; the pieces (debounce, ledger, outbox, delivery) are importable for tests.
"""

from tasks.watch.delivery import DeliveryError, EventPoster, deliver, retry_delay
from tasks.watch.events import FILE_CREATED, BenchmarkFile, file_created_event
from tasks.watch.watcher import FolderWatcher, WatchOptions

__all__ = [
    "FILE_CREATED",
    "BenchmarkFile",
    "DeliveryError",
    "EventPoster",
    "FolderWatcher",
    "WatchOptions",
    "deliver",
    "file_created_event",
    "retry_delay",
]
