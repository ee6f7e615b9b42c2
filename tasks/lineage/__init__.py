"""Lineage: which source files and tables are behind each report, as Prefect asset events.

The flow calls `record_lineage(out_dir, files, report_paths)` at its end; `read_lineage(report)`
(what `chimera lineage REPORT` runs) reads it back from the server's events.
"""

from tasks.lineage.keys import asset_key, file_asset, path_of
from tasks.lineage.trace import Lineage, trace_report

__all__ = ["Lineage", "asset_key", "file_asset", "path_of", "trace_report"]
