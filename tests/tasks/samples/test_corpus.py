"""The sample corpus: deterministic, shaped like a real benchmark folder, warts included."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import time
from collections import Counter
from pathlib import Path

import pytest

from tasks.samples.corpus import PROFILES, write_sample_corpus


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def _walk_json(node, found: list[dict]) -> list[dict]:
    if isinstance(node, dict):
        found.append(node)
        for value in node.values():
            _walk_json(value, found)
    elif isinstance(node, list):
        for value in node:
            _walk_json(value, found)
    return found


@pytest.fixture(scope="module")
def pile(tmp_path_factory) -> tuple[Path, list[Path]]:
    root = tmp_path_factory.mktemp("pile")
    return root, write_sample_corpus(root, seed=7)


def _named(files: list[Path], pattern: str) -> list[Path]:
    return [p for p in files if re.search(pattern, p.as_posix())]


def test_same_seed_writes_byte_identical_files_and_another_seed_does_not(tmp_path):
    first = write_sample_corpus(tmp_path / "a", seed=3)
    again = write_sample_corpus(tmp_path / "b", seed=3)
    other = write_sample_corpus(tmp_path / "c", seed=4)

    def contents(root: Path, files: list[Path]) -> dict[str, bytes]:
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in files}

    assert contents(tmp_path / "a", first) == contents(tmp_path / "b", again)
    changed = set(contents(tmp_path / "a", first).values()) - set(
        contents(tmp_path / "c", other).values()
    )
    assert len(changed) >= len(first) - 2  # all but the empty file (and its twin) differ


def test_one_pile_is_small_and_lives_in_sub_folders(pile):
    root, files = pile
    assert 25 <= len(files) <= 50
    assert all(p.is_file() and p.is_relative_to(root) for p in files)
    assert sum(p.stat().st_size for p in files) < 2_000_000
    assert len({p.parent for p in files}) >= 8
    assert all(p.parent != root for p in files)


def test_pile_mixes_the_formats_of_a_real_benchmark_folder(pile):
    _, files = pile
    suffixes = Counter(p.suffix for p in files)
    assert suffixes[".csv"] >= 10
    assert suffixes[".json"] >= 10
    assert suffixes[".md"] >= 6
    assert suffixes[".txt"] == 1 and suffixes[".py"] == 1
    for path in _named(files, r"\.json$"):
        json.loads(path.read_text(encoding="utf-8"))  # every JSON file is valid JSON


def test_prompt_suite_runs_have_the_ollama_columns_and_a_cold_first_prompt(pile):
    _, files = pile
    runs = _named(files, r"ollama/\d{8}-\d{6}/.*_runs\.csv$")
    assert len(runs) == 3
    header = runs[0].read_text(encoding="utf-8").splitlines()[0]
    assert header == (
        "timestamp,model,prompt_index,prompt_text,ttft_s,tokens_s,load_s,prompt_eval_s,eval_s,"
        "prompt_eval_count,eval_count,response_chars,error,options"
    )
    completed = [row for path in runs for row in _rows(path) if not row["error"]]
    assert completed
    for row in completed:
        low, high = PROFILES[row["model"]].tokens_s
        ttft = float(row["ttft_s"])
        json.loads(row["options"])
        if row["prompt_index"] == "1":
            assert 1.5 < ttft < 10  # cold start: the model loads first
            assert 0.8 * low <= float(row["tokens_s"]) <= high
        else:
            assert 0.05 <= ttft <= 0.2
            assert low <= float(row["tokens_s"]) <= high
    # Each suite has its summary JSON beside it, with per-model means.
    for path in runs:
        (summary,) = path.parent.glob("*_summary.json")
        models = json.loads(summary.read_text())["models"]
        assert {m["model"] for m in models} == {r["model"] for r in _rows(path)}


def test_failed_run_has_zero_throughput_and_a_connection_error_on_every_row(pile):
    _, files = pile
    failed = [
        path for path in _named(files, r"_runs\.csv$") if all(row["error"] for row in _rows(path))
    ]
    assert len(failed) == 1
    rows = _rows(failed[0])
    assert all(float(row["tokens_s"]) == 0 and row["eval_count"] == "0" for row in rows)
    assert all(re.search(r"connect|refused", row["error"], re.IGNORECASE) for row in rows)
    summary = json.loads(next(failed[0].parent.glob("*_summary.json")).read_text())
    assert all(m["completed"] == 0 and m["mean_tokens_s"] is None for m in summary["models"])


def test_baselines_come_as_csv_and_json_with_results_arrays(pile):
    _, files = pile
    baselines = _named(files, r"_baseline\.json$")
    assert len(baselines) == 2
    for path in baselines:
        document = json.loads(path.read_text())
        low, high = PROFILES[document["model"]].tokens_s
        warm = [r["tokens_s"] for r in document["results"][1:]]
        assert len(document["results"]) == 5 and all(low <= v <= high for v in warm)
        twin = _rows(path.with_suffix(".csv"))
        assert [float(r["tokens_s"]) for r in twin] == [r["tokens_s"] for r in document["results"]]


def test_gemma3_270m_runs_at_250_to_300_tokens_per_second_warm(pile):
    _, files = pile
    (path,) = _named(files, r"gemma3_270m_baseline\.json$")
    warm = [r["tokens_s"] for r in json.loads(path.read_text())["results"][1:]]
    assert all(250 <= v <= 300 for v in warm)


def test_sweep_names_configurations_and_one_timed_out(pile):
    _, files = pile
    sweeps = _named(files, r"gemma3_.*_param_tuning\.csv$")
    assert len(sweeps) == 2
    rows = [row for path in sweeps for row in _rows(path)]
    assert {"num_gpu", "num_ctx", "temperature", "config_name"} <= set(rows[0])
    for row in rows:
        assert row["config_name"] == f"g{row['num_gpu']}_c{row['num_ctx']}_t{row['temperature']}"
    timed_out = [row for row in rows if row["error"]]
    assert timed_out and all(r["error"] == "timed out" and r["tokens_s"] == "" for r in timed_out)
    assert len({r["config_name"] for r in timed_out}) == 1
    # The summary ranks configurations by mean throughput, and leaves the timed-out one out.
    (summary,) = _named(files, r"gemma3_270m_param_tuning_summary\.csv$")
    ranked = _rows(summary)
    speeds = [float(r["mean_tokens_s"]) for r in ranked]
    assert speeds == sorted(speeds, reverse=True)
    assert timed_out[0]["config_name"] not in {r["config_name"] for r in ranked}


def test_llama_sweep_and_its_summary_spell_the_same_metrics_differently(pile):
    _, files = pile
    (sweep,) = _named(files, r"llama3/ollama_param_tuning\.csv$")
    (summary,) = _named(files, r"llama3/ollama_param_tuning_summary\.csv$")
    assert sweep.read_text().startswith('"timestamp","model","num_gpu"')  # every field quoted
    assert {"prompt_eval", "eval_s_mean"} <= set(_rows(summary)[0])
    assert all(70 * 0.8 <= float(r["tokens_s"]) <= 80 for r in _rows(sweep))


def test_markdown_reports_carry_pipe_tables_with_units_and_name_value_lines(pile):
    _, files = pile
    text = "\n".join(p.read_text(encoding="utf-8") for p in _named(files, r"\.md$"))
    assert re.search(r"^\| g\d+_c\d+_t0\.\d \|", text, re.MULTILINE)
    assert re.search(r"\| \d+\.\d{2} tokens/s \|", text)
    assert re.search(r"\*\*[+-]\d+%\*\*", text)
    assert re.search(r"\| \d{1,3}(,\d{3})+ \|", text)
    assert re.search(r"^- [A-Z][\w ()-]+: \d+(\.\d+)? (s|ms|tokens/s|bytes)$", text, re.MULTILINE)
    # A table glued to the line above it, as a careless writer left it.
    assert re.search(r"^- DType: \S+ \| Backend \|", text, re.MULTILINE)


def test_one_markdown_file_has_windows_line_ends(pile):
    _, files = pile
    crlf = [p for p in _named(files, r"\.md$") if b"\r\n" in p.read_bytes()]
    assert len(crlf) == 1


def test_compilation_json_nests_backends_with_a_failure_and_a_success_beside_an_error(pile):
    _, files = pile
    benches = _named(files, r"compilation/.*\.json$")
    assert len(benches) == 2
    backends = [b for p in benches for b in json.loads(p.read_text())["backends"].values()]
    assert all("mean_time_ms" in b["benchmark"] for b in backends)
    failed = [b for b in backends if b["compilation"] and not b["compilation"]["success"]]
    assert failed and all(b["benchmark"]["mean_time_ms"] == 0.0 for b in failed)


def test_some_json_record_says_success_true_beside_an_error_message(pile):
    _, files = pile
    records = [
        node
        for path in _named(files, r"\.json$")
        for node in _walk_json(json.loads(path.read_text()), [])
    ]
    contradictions = [r for r in records if r.get("success") is True and r.get("error")]
    assert len(contradictions) >= 2  # one in the baseline results, one in a compilation backend


def test_pile_holds_the_warts_that_must_be_inventoried_not_parsed(pile):
    _, files = pile
    empty = [p for p in files if p.stat().st_size == 0]
    assert len(empty) == 1

    (binary,) = _named(files, r"\.ncu-rep$")
    with pytest.raises(UnicodeDecodeError):
        binary.read_bytes().decode("utf-8")

    utf16 = [p for p in _named(files, r"\.csv$") if p.read_bytes()[:2] == b"\xff\xfe"]
    assert len(utf16) == 1
    assert "ERROR" in utf16[0].read_bytes().decode("utf-16")

    by_hash = Counter(_sha256(p) for p in files if p.stat().st_size)
    duplicates = [p for p in files if p.stat().st_size and by_hash[_sha256(p)] > 1]
    assert len(duplicates) == 2 and duplicates[0].parent != duplicates[1].parent


def test_copies_repeat_the_pile_in_sub_folders_with_different_contents(tmp_path, pile):
    _, one = pile
    files = write_sample_corpus(tmp_path, copies=3, seed=7)

    assert len(files) == 3 * len(one)
    assert sorted({p.relative_to(tmp_path).parts[0] for p in files}) == [
        "copy_00000",
        "copy_00001",
        "copy_00002",
    ]
    # Only each copy's deliberate duplicate pair shares a hash; empty files aside.
    by_hash: dict[str, set[str]] = {}
    for path in files:
        if path.stat().st_size:
            by_hash.setdefault(_sha256(path), set()).add(path.relative_to(tmp_path).parts[0])
    shared = {digest: copies for digest, copies in by_hash.items() if len(copies) > 1}
    assert shared == {}
    assert len(by_hash) == 3 * (len(one) - 2)


def test_copies_must_be_positive(tmp_path):
    with pytest.raises(ValueError, match="copies"):
        write_sample_corpus(tmp_path, copies=0)


def test_a_thousand_files_are_written_in_seconds(tmp_path):
    started = time.perf_counter()
    files = write_sample_corpus(tmp_path, copies=26)
    assert len(files) > 1000
    assert time.perf_counter() - started < 10


def test_nothing_in_the_pile_is_a_file_of_the_real_corpus(pile, corpus_dir):
    _, files = pile
    real = {_sha256(p) for p in corpus_dir.rglob("*") if p.is_file() and p.stat().st_size}
    assert real  # the fixture found the corpus
    # Empty content is left out: an empty file has the same hash wherever it is.
    assert not {_sha256(p) for p in files if p.stat().st_size} & real


def test_the_parser_reads_every_metric_file_of_the_pile(pile):
    from tasks.ingest.discover import discover_files
    from tasks.ingest.manifest import plan_parse
    from tasks.parse import parse_batch

    root, files = pile

    inventory = discover_files([root])
    plan = plan_parse(inventory, None, None)
    metrics, outcomes = parse_batch(plan.to_parse)

    assert inventory.height == len(files)
    # Keyed by the file's own path under the pile, whatever prefix the inventory gives it.
    under_root = {
        path: Path(path).relative_to(root.resolve()).as_posix() for path in inventory["path"]
    }
    status = {under_root[p]: s for p, s in zip(inventory["path"], inventory["status"], strict=True)}
    assert status["outputs/reports/integration/pending_digest.md"] == "skipped"
    assert status["outputs/reports/profiling/ncu_capture.ncu-rep"] == "skipped"
    assert sorted(s for p, s in status.items() if p.endswith("ollama_quant_bench.csv")) == [
        "duplicate",
        "pending",
    ]
    inventory_path = dict(zip(inventory["relative_path"], inventory["path"], strict=True))
    outcome = {under_root[inventory_path[o.relative_path]]: o for o in outcomes}
    # Every table the generator wrote with numbers in it yields metric rows.
    with_metrics = [
        r"_runs\.csv$",
        r"_baseline\.(csv|json)$",
        r"_param_tuning(_summary)?\.csv$",
        r"ollama_quant_bench\.csv$",
        r"compilation/.*\.(json|md)$",
        r"Gemma3_Benchmark_Report\.md$",
        r"gemma3/SUMMARY\.md$",
        r"baseline_test_results_\d+\.json$",
        r"baseline_performance_summary\.csv$",
    ]
    expected = [
        path
        for path in status
        if status[path] == "pending" and any(re.search(pattern, path) for pattern in with_metrics)
    ]
    assert len(expected) >= 20
    for path in expected:
        assert outcome[path].status == "parsed" and outcome[path].metric_rows > 0, path
    # One broken file never stops the others; only the UTF-16 "CSV" may fail to parse.
    failed = {path for path, o in outcome.items() if o.status == "error"}
    assert failed <= {"outputs/reports/profiling/ncu_summary.csv"}
    assert all(o.reason for o in outcome.values() if o.status == "error")
    # The generator's per-model ranges survive parsing: gemma3:270m decodes at ~250-300 tok/s.
    throughput = metrics.filter(
        (metrics["metric"] == "throughput_tok_s")
        & (metrics["model"] == "gemma3:270m")
        & (metrics["value"] > 0)
    )["value"]
    assert throughput.len() > 0
    assert throughput.min() >= 200 and throughput.max() <= 300
