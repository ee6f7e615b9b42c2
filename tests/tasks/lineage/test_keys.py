"""Asset keys for files: valid for Prefect, one per path, readable back as the path."""

from __future__ import annotations

from pathlib import Path

import pytest
from prefect.assets import Asset

from tasks.lineage.keys import asset_key, file_asset, path_of


def test_a_file_is_keyed_by_its_absolute_path(tmp_path):
    path = tmp_path / "tables" / "metrics.parquet"

    key = asset_key(path)

    assert key == f"file://{path.resolve().as_posix()}"
    assert path_of(key) == str(path.resolve())


def test_a_relative_path_gets_the_same_key_as_its_absolute_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert asset_key(Path("out/reports/combined.md")) == asset_key(
        tmp_path / "out" / "reports" / "combined.md"
    )


@pytest.mark.parametrize("name", ["run 1.csv", "50%.json", "a#b?.md", "x[1]{2}.csv"])
def test_characters_prefect_refuses_still_give_a_valid_key(tmp_path, name):
    key = asset_key(tmp_path / name)

    Asset(key=key)  # raises when Prefect refuses the key
    assert path_of(key).startswith(str(tmp_path))


def test_a_file_asset_is_named_after_the_file(tmp_path):
    asset = file_asset(tmp_path / "combined.md")

    assert asset.properties.name == "combined.md"
    assert asset.key == asset_key(tmp_path / "combined.md")
