from datetime import UTC, datetime

import polars as pl

from tasks.facts import compute_facts, pack_facts
from tasks.schemas import FILES, METRICS, conform


def _files() -> pl.DataFrame:
    rows = [
        {
            "relative_path": "c/a.csv",
            "folder": "c",
            "format": "csv",
            "status": "parsed",
            # copied today: the data's own time is what the facts state
            "mtime": datetime(2026, 12, 1, tzinfo=UTC),
            "data_time_min": "2025-10-02T10:00:00",
            "data_time_max": "2025-10-08T12:00:00",
        },
        {
            "relative_path": "c/b.json",
            "folder": "c",
            "format": "json",
            "status": "parsed",
            "mtime": datetime(2025, 10, 2, tzinfo=UTC),
        },
        {
            "relative_path": "c/x.txt",
            "folder": "c",
            "format": "text",
            "status": "skipped",
            "mtime": datetime(2025, 9, 1, tzinfo=UTC),
        },
    ]
    return conform(pl.DataFrame(rows), FILES)


def _metrics() -> pl.DataFrame:
    rows = []
    for i, tok in enumerate([100.0, 110.0, 120.0], 1):
        rows.append(
            {
                "source_path": "c/a.csv",
                "locator": f"row {i}",
                "metric": "throughput_tok_s",
                "value": tok,
                "model": "m1",
                "status": "passed",
            }
        )
        rows.append(
            {
                "source_path": "c/a.csv",
                "locator": f"row {i}",
                "metric": "ttft_ms",
                "value": 50.0 * i,
                "model": "m1",
                "status": "passed",
            }
        )
    # A failed run with an absurd value that must never reach a fact.
    rows.append(
        {
            "source_path": "c/b.json",
            "locator": "/runs/0",
            "metric": "throughput_tok_s",
            "value": 99999.0,
            "model": "m1",
            "status": "quarantined",
        }
    )
    return conform(pl.DataFrame(rows), METRICS)


def test_performance_facts_use_only_passing_rows():
    facts = compute_facts(_files(), _metrics())

    throughput = facts.filter(
        pl.col("statement").str.contains("mean throughput") & (pl.col("model") == "m1")
    )
    assert throughput.height == 1
    assert throughput["value"][0] == 110.0
    assert throughput["source_rows"][0] == 3
    all_numbers = [n for ns in facts["numbers"].to_list() for n in ns]
    assert 99999.0 not in all_numbers


def test_quality_and_inventory_facts_count_what_is_there():
    facts = compute_facts(_files(), _metrics())
    statements = facts["statement"].to_list()

    assert "3 files found in total." in statements
    assert any("1 of 4 benchmark records were quarantined" in s for s in statements)
    assert "The data's own timestamps run from 2025-10-02 to 2025-10-08, in 1 file." in statements
    assert not any("2026" in s for s in statements)
    assert facts["fact_id"].is_unique().all()
    assert facts["rank"].to_list() == sorted(facts["rank"].to_list())


def test_every_statement_number_is_listed_in_numbers():
    facts = compute_facts(_files(), _metrics())
    for statement, numbers in facts.select("statement", "numbers").iter_rows():
        assert numbers, statement


def test_pack_keeps_best_ranked_facts_within_budget_and_names_the_rest():
    facts = compute_facts(_files(), _metrics())

    small = pack_facts(facts, ["inventory", "quality"], token_budget=30)
    full = pack_facts(facts, ["inventory", "quality"], token_budget=10_000)

    assert 0 < small.facts.height < full.facts.height
    assert set(small.left_out) == set(full.facts["fact_id"]) - set(small.facts["fact_id"])
    assert full.left_out == ()
    assert small.facts["rank"].max() < min(
        facts.filter(pl.col("fact_id").is_in(small.left_out))["rank"]
    )
    assert "F001:" in full.render()
