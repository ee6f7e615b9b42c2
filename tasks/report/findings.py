"""The findings as the reports show them: rendered from the FINDINGS table, nothing computed.

In: the FINDINGS table (tasks.facts.findings) and the coverage matrix
(tasks.facts.measurements.coverage_matrix). Out: Markdown sections for combined.md: the top
findings a reader leads with, the coverage matrix, and every finding by kind. Pure: no I/O.
"""

from __future__ import annotations

import polars as pl

from tasks.facts.findings import shift_within_noise
from tasks.markdown import adaptive_number, escape, p_value_cell, table

TOP_FINDINGS = 12
MAX_LISTED = 40  # rows a long table shows before it says how many more there are
# What a reader leads with; counts of files and the per-configuration summaries come later.
_HEADLINE_KINDS = ("ranking", "effect", "cold_start", "outlier", "failure_cause", "coverage_gap")
_VERDICT_WORDS = {
    "significant": "best is ahead",
    "differs": "levels differ, best not separable",
    "no measurable difference": "no measurable difference",
    "inconclusive": "inconclusive: differs beyond the noise, not significant",
    "not testable": "not testable",
}


PER_GROUP = 1  # findings of one kind and verdict before the others get their turn


def headline_findings(findings: pl.DataFrame, limit: int = TOP_FINDINGS) -> pl.DataFrame:
    """The findings a reader leads with, in rank order: the best PER_GROUP of each kind and
    verdict first (so five options without effect do not crowd out the failures and the
    gaps), then the next best of any kind."""
    ranked = findings.filter(pl.col("kind").is_in(_HEADLINE_KINDS)).sort("rank")
    turn = ranked.with_columns(
        turn=pl.int_range(pl.len()).over("kind", "verdict", order_by="rank") >= PER_GROUP
    )
    return turn.sort("turn", "rank").head(limit).sort("rank").drop("turn")


def render_top_findings(findings: pl.DataFrame, limit: int = TOP_FINDINGS) -> str:
    """'## Top findings': the most important findings, each with its uncertainty, in rank order."""
    top = headline_findings(findings, limit)
    parts = [
        "## Top findings",
        "",
        "_Computed by code from the validated metrics (tables/findings.parquet), most important "
        "first, one of each kind before the next: tested differences, no measurable difference, "
        "cold starts, failures and gaps. Every finding is under Benchmark findings._",
        "",
    ]
    if top.is_empty():
        return "\n".join([*parts, "No performance finding: no measurement passed validation.", ""])
    parts += [
        f"{i}. {escape(statement)} ({finding_id})"
        for i, (finding_id, statement) in enumerate(
            top.select("finding_id", "statement").iter_rows(), 1
        )
    ]
    return "\n".join([*parts, ""])


def render_coverage_matrix(matrix: pl.DataFrame) -> str:
    """'## Coverage matrix': per model and metric, measurements and configurations."""
    parts = ["## Coverage matrix", ""]
    if matrix.is_empty():
        return "\n".join([*parts, "No performance measurement names its model.", ""])
    metrics = [c for c in matrix.columns if c not in ("model", "files", "configurations")]
    rows = [
        (r["model"], r["files"], r["configurations"], *(r[m] or "" for m in metrics))
        for r in matrix.iter_rows(named=True)
    ]
    parts += [
        "Measurements per model and metric (warm and cold calls; each measurement once), with "
        "the files and the distinct configurations (options, load and lengths) they come from.",
        "",
        table(("Model", "Files", "Configurations", *metrics), rows, "lrr" + "r" * len(metrics)),
        "",
    ]
    return "\n".join(parts)


def _more(frame: pl.DataFrame, what: str) -> list[str]:
    hidden = frame.height - MAX_LISTED
    return [f"... and {hidden} more {what} in tables/findings.parquet.", ""] if hidden > 0 else []


def _comparisons(findings: pl.DataFrame) -> list[str]:
    compared = findings.filter(pl.col("kind").is_in(["ranking", "effect"])).sort("rank")
    if compared.is_empty():
        return []
    rows = []
    for r in compared.head(MAX_LISTED).iter_rows(named=True):
        scope = r.get("file") or (r["experiment"] or "all files").rpartition("/")[2]
        if r["kind"] == "ranking" and r["config"]:
            scope = f"all files on {r['config']}"
        levels = ", ".join(
            f"{level} {adaptive_number(median)} (n={n})"
            for level, median, n in zip(r["levels"], r["level_medians"], r["level_n"], strict=True)
        )
        rows.append(
            (
                r["finding_id"],
                scope
                + (
                    f" ({', '.join(p for p in (r['model'], r['config']) if p)})"
                    if r["model"]
                    else ""
                ),
                r["subject"],
                f"{r['metric']} ({r['unit']})",
                "within the noise, though the test detects a shift"
                if shift_within_noise(r)
                else _VERDICT_WORDS.get(r["verdict"], r["verdict"] or ""),
                levels,
                p_value_cell(r["p_value"]),
            )
        )
    return [
        "### Comparisons",
        "",
        "Within one file and one model, each dimension that varies, tested with Kruskal-Wallis; "
        "the model ranking pools every file. Levels are listed best first with their medians.",
        "",
        table(("Id", "Scope", "Compared", "Metric", "Verdict", "Levels", "p"), rows, "lllllll"),
        "",
        *_more(compared, "comparisons"),
    ]


def _statements(findings: pl.DataFrame, kinds: tuple[str, ...], title: str) -> list[str]:
    chosen = findings.filter(pl.col("kind").is_in(kinds)).sort("rank")
    if chosen.is_empty():
        return []
    lines = [
        f"- {escape(statement)} ({finding_id})"
        for finding_id, statement in chosen.head(MAX_LISTED)
        .select("finding_id", "statement")
        .iter_rows()
    ]
    return [f"### {title}", "", *lines, "", *_more(chosen, title.lower())]


def render_findings(findings: pl.DataFrame) -> str:
    """'## Benchmark findings': every finding, by kind."""
    parts = [
        "## Benchmark findings",
        "",
        "_Computed by code from the validated metrics; quarantined rows count only as failed "
        "runs. Each id is a row of tables/findings.parquet, with the source rows it rests on._",
        "",
        *_comparisons(findings),
        *_statements(findings, ("cold_start",), "Cold starts"),
        *_statements(findings, ("outlier",), "Outliers"),
        *_statements(findings, ("failure_cause",), "Failure causes"),
        *_statements(findings, ("coverage_gap",), "Gaps"),
        *_statements(findings, ("configuration",), "Configuration summaries"),
    ]
    return "\n".join(parts).rstrip() + "\n"
