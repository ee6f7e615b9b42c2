"""Check every number in a run's reports against its tables (a script, not a test).

Reads OUT/reports (agent_a.md, agent_b.md, combined.md per run, summary.md) and OUT/tables, and
traces each number a report states with the guard's rules (tasks.agents.guard.untraced_numbers:
exact or rounded, scaled units, differences and ratios of numbers the same section cites):
- agent sections (claims written by the model or rendered from findings): against
  findings.parquet, the only numbers a claim is published with;
- the top findings, the coverage matrix and the benchmark findings: against the findings and the
  coverage recomputed from metrics.parquet and files.parquet;
- the data-quality sections: against counts recomputed from metrics, quarantine and files, and the
  saved Great Expectations results;
- every other section (agent metrics, A and B side by side, summary.md): against agent_calls and
  the statistics recomputed from it.
Sections whose numbers no table holds (stage timings, concurrency wall times, the persona prompt,
the reasons claims were rejected) are skipped and listed. Prints each untraced number and
exits 1 when there is any.
Run: .venv/bin/python bench/check_report_numbers.py OUT
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import polars as pl

from tasks.agents.guard import numbers_in_text, untraced_numbers
from tasks.agents.personas import PERSONAS
from tasks.facts import statistics
from tasks.facts.findings import METHOD_NUMBERS, compute_findings
from tasks.facts.measurements import coverage_matrix, performance_rows
from tasks.report import findings, summary
from tasks.report.quality_summary import quarantine_by_reason
from tasks.tables import TABLES, read_table

# Sections whose numbers are measured by the flow or quoted on purpose, not stored in a table.
SKIPPED_SECTIONS = {
    "Workflow summary": "stage timings are measured by the flow, not stored in a table",
    "Concurrency": "wall times of the agent runs are measured by the flow, not stored",
    "Persona prompt": "the prompt sent to the model, not a claim about the data",
    "Why claims were rejected": "quotes what the checks rejected",
    "Charts": "image links",
}
# Lines of a report's header that describe the machine, or name the tables by their hashes,
# rather than the data.
SKIPPED_LINE_PREFIXES = ("- GPU:", "- Tables:")
FINDINGS_SECTIONS = {
    "What changed since the last run",
    "Top findings",
    "Coverage matrix",
    "Benchmark findings",
    "Comparisons",
    "Cold starts",
    "Outliers",
    "Failure causes",
    "Gaps",
    "Configuration summaries",
}
QUALITY_SECTIONS = {
    "Data quality",
    "Expectations",
    "Quarantined rows by reason",
    "Quarantined rows by file",
    "Files not parsed",
}
_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t]*$", re.MULTILINE)
_AGENT_PREFIX = re.compile(r"^Agent [AB]: ")


@dataclass(frozen=True)
class Untraced:
    report: str
    section: str
    number: str  # as written, with its unit


@dataclass
class AllowedNumbers:
    """The numbers each kind of section may state."""

    claims: list[float] = field(default_factory=list)
    calls: list[float] = field(default_factory=list)
    findings: list[float] = field(default_factory=list)
    quality: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class Section:
    title: str
    kind: str  # claims | calls | findings | quality | skipped
    text: str


def frame_numbers(frame: pl.DataFrame) -> list[float]:
    """Every number in a frame: numeric cells, and the numbers written inside text cells."""
    numbers: list[float] = []
    for name, dtype in frame.schema.items():
        column = frame.get_column(name)
        if dtype.is_numeric():
            numbers += [float(v) for v in column.drop_nulls().to_list()]
        elif dtype == pl.Boolean:
            continue
        elif dtype == pl.List(pl.Float64):
            numbers += [float(v) for v in column.explode().drop_nulls().to_list()]
        elif dtype in (pl.Utf8, pl.List(pl.Utf8)):
            texts = column.explode() if dtype == pl.List(pl.Utf8) else column
            numbers += [
                n.value for t in texts.drop_nulls().unique().to_list() for n in numbers_in_text(t)
            ]
    return numbers


def _options_numbers(agent_calls: pl.DataFrame) -> list[float]:
    numbers = []
    for text in agent_calls.get_column("options").drop_nulls().unique().to_list():
        numbers += [float(v) for v in json.loads(text).values() if isinstance(v, int | float)]
    return numbers


def calls_numbers(agent_calls: pl.DataFrame, runs: Sequence[int] | None = None) -> list[float]:
    """agent_calls values, the B - A deltas the combined report shows, and summary statistics."""
    calls = agent_calls if runs is None else agent_calls.filter(pl.col("run").is_in(runs))
    numbers = frame_numbers(calls.drop("options")) + _options_numbers(calls)
    final = summary.final_calls(calls)
    metrics = [c for c, d in calls.schema.items() if d.is_numeric() and c not in ("run", "attempt")]
    for (_run,), group in final.group_by(["run"]):
        a = group.filter(pl.col("agent") == "A")
        b = group.filter(pl.col("agent") == "B")
        if a.height and b.height:
            for metric in metrics:
                va, vb = a.get_column(metric)[0], b.get_column(metric)[0]
                if va is not None and vb is not None:
                    numbers.append(vb - va)
                    if va:
                        numbers.append((vb - va) / va * 100)
    per_agent = calls.group_by("run", "agent").agg(
        calls=pl.len(), accepted=(pl.col("guard_verdict") == "accepted").sum()
    )
    numbers += frame_numbers(per_agent)
    numbers += [calls.height, final.height, calls.get_column("run").n_unique()]
    for metric in summary.SUMMARY_METRICS:
        numbers += frame_numbers(summary.metric_statistics(final, metric))
    for _keys, found in summary.comparisons(final):
        for c in found:
            numbers += [
                v
                for v in (
                    c.mean_a,
                    c.mean_b,
                    c.change_pct,
                    c.change_ci_low,
                    c.change_ci_high,
                    c.u,
                    c.p,
                    c.delta,
                    c.smallest_p,
                    c.n_a,
                    c.n_b,
                )
                if v is not None
            ]
    guard = calls.group_by("agent").agg(
        calls=pl.len(),
        accepted=(pl.col("guard_verdict") == "accepted").sum(),
        runs=pl.col("run").n_unique(),
    )
    numbers += frame_numbers(guard.with_columns(share=pl.col("accepted") / pl.col("calls") * 100))
    numbers += [*statistics.METHOD_NUMBERS, statistics.runs_needed(), summary.FEW_RUNS_FOR_CI]
    return numbers


def findings_numbers(metrics: pl.DataFrame, files: pl.DataFrame) -> list[float]:
    """Every number the findings sections can state, recomputed from the tables."""
    recomputed = compute_findings(files, metrics)
    numbers = frame_numbers(recomputed.drop("source_rows"))
    numbers += frame_numbers(coverage_matrix(performance_rows(metrics)))
    for kinds in (("ranking", "effect"),) + tuple((k,) for k in recomputed["kind"].unique()):
        hidden = recomputed.filter(pl.col("kind").is_in(kinds)).height - findings.MAX_LISTED
        numbers.append(hidden)
    numbers += [findings.TOP_FINDINGS, *METHOD_NUMBERS]
    return numbers


def history_numbers(
    findings: pl.DataFrame, series: pl.DataFrame, changes: pl.DataFrame
) -> list[float]:
    """What "What changed since the last run" may state: the history's findings as stored (they
    rest on the history store, which no table of the run holds whole), the change points, and
    the counts of series it gives."""
    kinds = ("regression", "improvement", "new_configuration", "removed_configuration")
    numbers = frame_numbers(findings.filter(pl.col("kind").is_in(kinds)).drop("source_rows"))
    numbers += frame_numbers(changes)
    numbers += [
        series.height,
        series.filter(pl.col("points") > 1).height,
        series.filter(pl.col("status") == "unstable").height,
    ]
    return numbers


def _suite_numbers() -> list[float]:
    """Numbers the expectation suites state in their reasons (limits such as 3,600,000 ms)."""
    numbers: list[float] = []
    for entry in resources.files("expectations").iterdir():
        if entry.name.endswith(".json"):
            numbers += [n.value for n in numbers_in_text(entry.read_text(encoding="utf-8"))]
    return numbers


def quality_numbers(
    metrics: pl.DataFrame,
    quarantine: pl.DataFrame,
    files: pl.DataFrame,
    ge_results: dict | None = None,
    file_expectations: pl.DataFrame | None = None,
) -> list[float]:
    """Counts the data-quality summary shows, recomputed from the tables."""
    numbers: list[float] = [metrics.height, 0]  # 0: an expectation with no failing rows
    numbers += frame_numbers(metrics.group_by("status").len())
    numbers += frame_numbers(quarantine_by_reason(quarantine))
    numbers += frame_numbers(
        metrics.group_by("source_path").agg(
            quarantined=(pl.col("status") == "quarantined").sum(), rows=pl.len()
        )
    )
    numbers += frame_numbers(files.select("relative_path", "status", "reason"))
    numbers += _suite_numbers()
    for suite in (ge_results or {}).values():
        for expectation in suite.get("expectations", []):
            count = (expectation.get("result") or {}).get("unexpected_count")
            if count is not None:
                numbers.append(float(count))
    if file_expectations is not None:
        numbers += frame_numbers(file_expectations)
    return numbers


def _section_kind(title: str) -> str | None:
    agent_titles = {p.title(s) for p in PERSONAS.values() for s in p.sections}
    if title in SKIPPED_SECTIONS:
        return "skipped"
    if _AGENT_PREFIX.sub("", title) in agent_titles:
        return "claims"
    if title in FINDINGS_SECTIONS:
        return "findings"
    if title in QUALITY_SECTIONS:
        return "quality"
    return None


def split_sections(markdown: str) -> list[Section]:
    """The report cut at its headings; an unknown subsection inherits its parent's kind."""
    sections = []
    headings = list(_HEADING.finditer(markdown))
    starts = [m.start() for m in headings] + [len(markdown)]
    head = markdown[: starts[0]]
    if head.strip():
        sections.append(Section("(top)", "calls", head))
    stack: list[tuple[int, str]] = []  # (level, kind) of the enclosing headings
    for match, end in zip(headings, starts[1:], strict=True):
        level, title = len(match.group(1)), match.group(2).strip()
        while stack and stack[-1][0] >= level:
            stack.pop()
        kind = _section_kind(title) or (stack[-1][1] if stack else "calls")
        stack.append((level, kind))
        sections.append(Section(title, kind, markdown[match.start() : end]))
    return sections


def _without_skipped_lines(text: str) -> str:
    return "\n".join(
        line for line in text.splitlines() if not line.startswith(SKIPPED_LINE_PREFIXES)
    )


def check_report(name: str, markdown: str, allowed: AllowedNumbers) -> list[Untraced]:
    """The numbers of one report that trace to nothing its sections may cite."""
    untraced = []
    for section in split_sections(markdown):
        if section.kind == "skipped":
            continue
        numbers = getattr(allowed, section.kind)
        for number in untraced_numbers(_without_skipped_lines(section.text), numbers):
            untraced.append(Untraced(name, section.title, number.display))
    return untraced


def skipped_sections(markdown: str) -> list[str]:
    return [s.title for s in split_sections(markdown) if s.kind == "skipped"]


def _run_of(report: Path, reports_dir: Path) -> int | None:
    match = re.fullmatch(r"run-(\d+)", report.parent.name)
    if match:
        return int(match.group(1))
    return 1 if report.parent == reports_dir and report.name != "summary.md" else None


def check_run(out_dir: Path) -> tuple[list[Untraced], dict[str, list[str]]]:
    """Check every report under OUT/reports; returns the untraced numbers and skipped sections."""
    out_dir = Path(out_dir)
    tables = {name: read_table(table.path(out_dir)) for name, table in TABLES.items()}
    missing = [name for name, frame in tables.items() if frame is None]
    if missing:
        raise FileNotFoundError(f"{out_dir / 'tables'}: missing {', '.join(missing)}.parquet")
    ge_path = out_dir / "quality" / "ge_results.json"
    ge_results = json.loads(ge_path.read_text(encoding="utf-8")) if ge_path.exists() else None
    # Great Expectations: imported only when checking
    from tasks.validate import validate_files, validate_findings

    base = AllowedNumbers(
        claims=frame_numbers(tables["findings"].drop("source_rows")),
        findings=findings_numbers(tables["metrics"], tables["files"])
        + history_numbers(tables["findings"], tables["series"], tables["changes"]),
        quality=quality_numbers(
            tables["metrics"],
            tables["quarantine"],
            tables["files"],
            ge_results,
            pl.concat([validate_files(tables["files"]), validate_findings(tables["findings"])]),
        ),
    )
    reports_dir = out_dir / "reports"
    untraced: list[Untraced] = []
    skipped: dict[str, list[str]] = {}
    for report in sorted(reports_dir.rglob("*.md")):
        run = _run_of(report, reports_dir)
        allowed = AllowedNumbers(
            claims=base.claims,
            calls=calls_numbers(tables["agent_calls"], None if run is None else [run]),
            findings=base.findings,
            quality=base.quality,
        )
        text = report.read_text(encoding="utf-8")
        name = report.relative_to(out_dir).as_posix()
        untraced += check_report(name, text, allowed)
        skipped[name] = skipped_sections(text)
    return untraced, skipped


def main(argv: Iterable[str]) -> int:
    args = list(argv)
    if len(args) != 1:
        print("usage: check_report_numbers.py OUT", file=sys.stderr)
        return 2
    untraced, skipped = check_run(Path(args[0]))
    for report, titles in skipped.items():
        if titles:
            print(f"{report}: skipped {', '.join(dict.fromkeys(titles))}")
    for item in untraced:
        print(f"UNTRACED {item.report} [{item.section}]: {item.number}")
    print(f"{len(untraced)} untraced numbers in {len(skipped)} reports")
    return 1 if untraced else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
