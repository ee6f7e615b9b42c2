"""Asset keys: a file on disk in, the Prefect asset key that names it out, and back.

Source files, Parquet tables and reports are all files, so each is keyed by its absolute path as a
`file://` URI: `file:///data/bench/gemma3/run.csv`, `file:///out/tables/metrics.parquet`,
`file:///out/reports/combined.md`. Prefect refuses a few characters in keys (space, %, #, ?,
quotes, brackets, ...); those are written as `_` so such a file still gets a key, at the cost of
two such names possibly sharing one (rare in benchmark folders, and only lineage display suffers).
"""

from __future__ import annotations

from pathlib import Path

from prefect.assets import Asset, AssetProperties
from prefect.types.names import MAX_ASSET_KEY_LENGTH, RESTRICTED_ASSET_CHARACTERS

SCHEME = "file://"


def asset_key(path: Path | str) -> str:
    """The asset key of a file, from its absolute path."""
    text = Path(path).expanduser().resolve().as_posix()
    for char in RESTRICTED_ASSET_CHARACTERS:
        text = text.replace(char, "_")
    key = SCHEME + text
    if len(key) > MAX_ASSET_KEY_LENGTH:
        raise ValueError(f"path too long for an asset key ({len(key)} characters): {path}")
    return key


def path_of(key: str) -> str:
    """The path an asset key names (with refused characters shown as `_`)."""
    return key.removeprefix(SCHEME)


def is_file_key(text: str) -> bool:
    return text.startswith(SCHEME)


def file_asset(path: Path | str, description: str | None = None) -> Asset:
    """An Asset for a file, named by its file name so the UI's asset graph stays readable."""
    return Asset(
        key=asset_key(path),
        properties=AssetProperties(name=Path(path).name, description=description),
    )
