"""The findings sections render the FINDINGS table: what leads, and nothing recomputed."""

import re

import polars as pl

from tasks.facts import compute_findings
from tasks.facts.measurements import coverage_matrix, performance_rows
from tasks.markdown import escape
from tasks.report.findings import render_coverage_matrix, render_findings, render_top_findings
from tests.tasks.agents.findings_fixture import small_findings
from tests.tasks.facts.builders import files_frame, metric_rows, metrics_frame

FINDINGS = small_findings()


def test_top_findings_lead_with_comparisons_in_rank_order_not_counts():
    top = render_top_findings(FINDINGS)

    lines = [line for line in top.splitlines() if line[:1].isdigit()]
    ranked = FINDINGS.filter(~pl.col("kind").is_in(["inventory", "data_quality", "configuration"]))
    assert lines[0] == f"1. {escape(ranked['statement'][0])} ({ranked['finding_id'][0]})"
    assert "gemma3:1b has the best throughput" in lines[0]
    assert not any("files found in total" in line for line in lines)


def test_every_comparison_is_listed_with_its_verdict_and_levels():
    detail = render_findings(FINDINGS)

    assert "### Comparisons" in detail
    assert "| no measurable difference | num_gpu=40 181 (n=4), num_gpu=80 180.5 (n=4) |" in detail
    assert '"connection refused"' in detail  # the failure cause
    assert "### Cold starts" in detail


def test_a_shift_the_test_detects_within_the_noise_is_labelled_so_in_the_table():
    same = FINDINGS.filter(pl.col("subject") == "num_gpu")["finding_id"][0]
    detected = FINDINGS.with_columns(
        pl.when(pl.col("finding_id") == same)
        .then(pl.lit(0.01))
        .otherwise(pl.col("p_value"))
        .alias("p_value")
    )

    detail = render_findings(detected)

    row = next(line for line in detail.splitlines() if line.startswith(f"| {same} "))
    assert "| within the noise, though the test detects a shift |" in row
    assert "no measurable difference" not in row


def test_the_coverage_matrix_counts_measurements_and_configurations_per_model():
    rows = [
        *metric_rows("s/a.csv", "m1", [10.0, 11.0], num_gpu=40),
        *metric_rows("s/a.csv", "m1", [12.0], start=3, num_gpu=80),
        *metric_rows("s/b.csv", "m2", [5.0], metric="ttft_ms", unit="ms"),
    ]
    matrix = coverage_matrix(performance_rows(metrics_frame(rows)))

    table = render_coverage_matrix(matrix)

    assert "| Model | Files | Configurations | throughput_tok_s | ttft_ms |" in table
    assert "| m1 | 1 | 2 | 3 (2) |  |" in table
    assert "| m2 | 1 | 1 |  | 1 (1) |" in table


def test_an_empty_pile_says_so():
    metrics = metrics_frame(metric_rows("x/a.csv", "m", [1.0]))
    findings = compute_findings(files_frame(metrics), metrics.clear())

    assert "No performance finding" in render_top_findings(findings)


def test_names_from_the_data_cannot_inject_html_links_or_break_a_table():
    rows = [
        *metric_rows("a/x.csv", "<img src=x onerror=alert(1)>", [10.0, 11.0, 12.0]),
        *metric_rows("a/y.csv", "m|[link](http://evil)`", [20.0, 21.0, 22.0]),
    ]
    metrics = metrics_frame(rows)
    findings = compute_findings(files_frame(metrics), metrics)
    text = render_top_findings(findings) + render_findings(findings)
    text += render_coverage_matrix(coverage_matrix(performance_rows(metrics)))

    unescaped = re.compile(r"(?<!\\)(<img|\]\(http|`|m\|)")
    assert unescaped.search(text) is None
    assert "\\<img src=x onerror=alert(1)\\>" in text and "m\\|\\[link\\]" in text


def test_the_headline_takes_one_of_each_kind_before_a_second():
    from tasks.report.findings import headline_findings

    top = headline_findings(FINDINGS, limit=4)

    groups = list(zip(top["kind"], top["verdict"], strict=True))
    assert len(set(groups)) == 4  # four different kinds or verdicts, not four of one
    assert top["rank"].is_sorted()
    assert "failure_cause" in set(headline_findings(FINDINGS, limit=6)["kind"])
