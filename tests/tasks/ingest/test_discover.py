import hashlib
from pathlib import Path

import polars as pl
import pytest

from tasks.ingest.discover import (
    SNIFF_BYTES,
    SourceError,
    check_sources,
    discover_files,
    find_files,
    inventory_frame,
    inventory_rows,
)
from tasks.ingest.manifest import apply_outcomes, in_path_order, plan_parse
from tasks.parse import parse_batch
from tasks.samples.corpus import write_sample_corpus
from tasks.schemas import FILES, PARSED_METRICS, conform


def _write(root: Path, name: str, data: bytes) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


@pytest.fixture
def pile(tmp_path) -> Path:
    root = tmp_path / "bench"
    csv = b"model,tokens_s,ttft_s\nm1,100.5,0.2\nm1,110.0,0.3\n"
    _write(root, "a/run.csv", csv)
    _write(root, "b/copy_of_run.csv", csv)
    _write(root, "b/notes.txt", b"nothing to parse here\n")
    _write(root, "b/empty.json", b"")
    return root


def test_every_file_is_inventoried_with_hash_format_and_status(pile):
    files = discover_files([pile])

    assert files.schema == FILES
    assert files.height == 4
    assert files["sha256"].str.len_chars().unique().to_list() == [64]
    by_name = {
        Path(p).name: row
        for p, row in zip(files["relative_path"], files.iter_rows(named=True), strict=True)
    }
    assert by_name["run.csv"]["status"] == "pending"
    assert by_name["run.csv"]["relative_path"] == "bench/a/run.csv"
    # Text goes to parsing, where a tool's reader may recognise it (a llama-bench log).
    assert by_name["notes.txt"]["status"] == "pending"
    assert by_name["empty.json"]["status"] == "skipped" and by_name["empty.json"]["reason"]


def test_an_exact_copy_is_a_duplicate_of_the_first_file(pile):
    files = discover_files([pile])

    copy = files.filter(pl.col("relative_path") == "bench/b/copy_of_run.csv").row(0, named=True)
    assert copy["status"] == "duplicate"
    assert copy["duplicate_of"] == "bench/a/run.csv"


def test_small_files_read_while_hashing_are_parsed_from_those_bytes(pile):
    big = b"model,tokens_s\n" + b"m1,100.5\n" * (SNIFF_BYTES // 9 + 1)
    _write(pile, "c/big.csv", big)
    contents: dict[str, bytes] = {}
    files = inventory_frame(inventory_rows(find_files([pile]), contents))

    # Files of a parsed format (a copy too), when one read took them whole: not big.csv.
    assert sorted(Path(path).name for path in contents) == [
        "copy_of_run.csv",
        "notes.txt",
        "run.csv",
    ]
    hashes = dict(zip(files["relative_path"], files["sha256"], strict=True))
    assert hashes["bench/c/big.csv"] == hashlib.sha256(big).hexdigest()
    plan = plan_parse(files, None, None, contents)
    by_name = {Path(f.path).name: f for f in plan.to_parse}
    assert by_name["run.csv"].data == (pile / "a/run.csv").read_bytes()
    assert by_name["big.csv"].data is None
    (pile / "a/run.csv").write_bytes(b"model,tokens_s\nchanged,1\n")  # after hashing

    metrics, outcomes = parse_batch(plan.to_parse)
    assert {o.relative_path: o.metric_rows for o in outcomes} == {
        "bench/a/run.csv": 4,
        "bench/b/notes.txt": 0,  # text no tool wrote: skipped with its reason
        "bench/c/big.csv": big.count(b"\n") - 1,
    }
    assert "changed" not in metrics["model"].to_list()


def test_a_file_that_cannot_be_read_is_inventoried_with_its_reason(pile):
    (pile / "b/gone.csv").symlink_to(pile / "b/deleted.csv")  # points at nothing

    files = discover_files([pile])

    gone = files.filter(pl.col("relative_path") == "bench/b/gone.csv").row(0, named=True)
    assert gone["status"] == "error"
    assert gone["reason"] == "unreadable: No such file or directory"
    assert files.filter(pl.col("status") == "pending")["relative_path"].to_list() == [
        "bench/a/run.csv",
        "bench/b/notes.txt",
    ]


def test_bad_sources_get_a_one_line_reason(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "file.csv").write_text("x\n")

    with pytest.raises(SourceError, match="not found"):
        check_sources([tmp_path / "missing"])
    with pytest.raises(SourceError, match="no files"):
        check_sources([tmp_path / "empty"])
    with pytest.raises(SourceError, match="not a folder"):
        check_sources([tmp_path / "file.csv"])


def _parse_all(files, previous_files=None, previous_metrics=None):
    plan = plan_parse(files, previous_files, previous_metrics)
    metrics, outcomes = parse_batch(plan.to_parse)
    merged = in_path_order(conform(plan.kept_metrics, PARSED_METRICS), metrics)
    return plan, apply_outcomes(files, plan.kept_outcomes + outcomes), merged


def test_rerun_parses_only_new_or_changed_files_and_matches_a_full_run(tmp_path):
    root = tmp_path / "pile"
    write_sample_corpus(root)
    first_plan, files, metrics = _parse_all(discover_files([root]))
    assert first_plan.to_parse and metrics.height > 0

    unchanged_plan, files_again, metrics_again = _parse_all(discover_files([root]), files, metrics)
    assert unchanged_plan.to_parse == []
    assert files_again.equals(files) and metrics_again.equals(metrics)

    changed = next(p for p in sorted(root.rglob("*.csv")) if p.stat().st_size > 200)
    changed.write_text(changed.read_text().replace("\n", "\n", 1) + "\n")
    _write(root, "new/extra.csv", b"model,tokens_s\nm9,42.5\n")
    inventory = discover_files([root])
    plan, files_inc, metrics_inc = _parse_all(inventory, files, metrics)
    _, files_full, metrics_full = _parse_all(inventory)

    assert {f.relative_path for f in plan.to_parse} == {
        f"pile/{changed.relative_to(root).as_posix()}",
        "pile/new/extra.csv",
    }
    assert files_inc.equals(files_full)
    assert metrics_inc.equals(metrics_full)


def test_kept_and_new_rows_come_out_in_path_order_each_files_rows_as_parsed():
    def rows(*pairs):
        frame = pl.DataFrame(
            {"source_path": [p for p, _ in pairs], "locator": [loc for _, loc in pairs]}
        )
        return conform(frame, PARSED_METRICS)

    kept = rows(("b.csv", "row 2"), ("b.csv", "row 1"), ("d.csv", "row 1"))
    new = rows(("a.csv", "row 1"), ("c.csv", "row 9"), ("c.csv", "row 3"))
    expected = [
        ("a.csv", "row 1"),
        ("b.csv", "row 2"),
        ("b.csv", "row 1"),
        ("c.csv", "row 9"),
        ("c.csv", "row 3"),
        ("d.csv", "row 1"),
    ]

    merged = in_path_order(kept, new)  # both in path order: merged
    sorted_ = in_path_order(kept.reverse(), new)  # not: sorted, each file's rows in their order

    assert merged.select("source_path", "locator").rows() == expected
    expected[1:3] = [("b.csv", "row 1"), ("b.csv", "row 2")]
    assert sorted_.select("source_path", "locator").rows() == expected


def test_two_sources_with_one_name_keep_their_files_apart(tmp_path):
    for parent in ("a", "b"):
        _write(
            tmp_path / parent / "tools",
            "x.json",
            f'{{"tokens_s": {1 if parent == "a" else 2}}}'.encode(),
        )
        _write(tmp_path / parent / "tools", "PROVENANCE.md", parent.encode())

    files = discover_files([tmp_path / "a" / "tools", tmp_path / "b" / "tools"])

    assert files["relative_path"].to_list() == [
        "a/tools/PROVENANCE.md",
        "a/tools/x.json",
        "b/tools/PROVENANCE.md",
        "b/tools/x.json",
    ]


def test_only_regular_files_are_read_and_symlinks_stay_inside_the_source(pile, tmp_path):
    import os

    os.mkfifo(pile / "b/pipe.csv")  # opening it for reading would block the run
    outside = tmp_path / "secret.csv"
    outside.write_text("model,tokens_per_s\nm,1\n")
    (pile / "b/out.csv").symlink_to(outside)
    (pile / "b/in.csv").symlink_to(pile / "a/run.csv")

    files = discover_files([pile])
    by_path = {r["relative_path"]: r for r in files.iter_rows(named=True)}

    assert by_path["bench/b/pipe.csv"]["status"] == "skipped"
    assert by_path["bench/b/pipe.csv"]["reason"] == "a FIFO, not a regular file: not read"
    assert by_path["bench/b/out.csv"]["status"] == "skipped"
    assert "outside the source folder" in by_path["bench/b/out.csv"]["reason"]
    # a link inside the source is read: the same bytes as its target, so a duplicate
    assert by_path["bench/b/in.csv"]["sha256"] == by_path["bench/a/run.csv"]["sha256"]


def test_a_name_that_is_not_utf8_is_listed_and_the_run_goes_on(pile):
    import os

    name = os.fsencode(pile / "b") + b"/caf\xe9.csv"  # Latin-1 bytes, not UTF-8
    with open(name, "wb") as handle:
        handle.write(b"model,tokens_per_s\nm,1\n")

    files = discover_files([pile])

    odd = files.filter(pl.col("relative_path").str.contains("caf")).row(0, named=True)
    assert odd["relative_path"] == "bench/b/caf\ufffd.csv"
    assert odd["status"] == "skipped" and "not valid UTF-8" in odd["reason"]
    assert files.filter(pl.col("status") == "pending").height == 2
    files.write_parquet(pile / "files.parquet")  # the inventory can be written


def test_files_come_folder_by_folder_in_name_order_and_folder_links_are_not_followed(
    pile, tmp_path
):
    _write(pile, "a/z.csv", b"model,tokens_per_s\nm,2\n")
    _write(pile, "a/deeper/x.csv", b"model,tokens_per_s\nm,3\n")
    _write(pile, ".hidden/h.csv", b"model,tokens_per_s\nm,4\n")
    _write(pile, "a/.h.csv", b"model,tokens_per_s\nm,5\n")
    elsewhere = tmp_path / "elsewhere"
    _write(elsewhere, "e.csv", b"model,tokens_per_s\nm,6\n")
    (pile / "c").symlink_to(elsewhere, target_is_directory=True)

    listed = [f"{entry.folder}/{entry.name}" for entry in find_files([pile])]

    # A folder's files, then its subfolders' (each in name order); hidden ones and the
    # folder behind a symlink (which could lead anywhere) left out.
    assert listed == [
        "bench/a/run.csv",
        "bench/a/z.csv",
        "bench/a/deeper/x.csv",
        "bench/b/copy_of_run.csv",
        "bench/b/empty.json",
        "bench/b/notes.txt",
    ]
