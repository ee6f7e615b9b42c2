"""What changed, as findings: a run's HistoryView in, finding rows for the FINDINGS table out.

Kinds: `regression` and `improvement` (a change point that is the reported run's news, with its
size, its test's p and the runs before and after), `new_configuration` (a series the reported run
measured first, when its pile had an earlier run) and `removed_configuration` (a series the run
before it measured and it does not). Statements state no time but the data's own, so the same
news reads the same in every run that tells it. Their gists (what an agent's prompt shows) are
words alone, as every finding's (tasks.facts.findings.gist).
"""

from __future__ import annotations

import polars as pl

from tasks.facts.findings import MAX_SOURCE_ROWS, metric_words, new_finding
from tasks.history.view import HistoryView
from tasks.markdown import adaptive_number, one_decimal, p_value

HISTORY_KINDS = ("regression", "improvement", "new_configuration", "removed_configuration")
# Every configuration a large new pile brings would crowd the findings: past this many, one
# finding counts them.
MAX_LISTED_CONFIGURATIONS = 6
# News leads: a regression above every other finding, an improvement just below it.
_IMPORTANCE = {
    "regression": 130.0,
    "improvement": 122.0,
    "new_configuration": 70.0,
    "removed_configuration": 72.0,
}
_GISTS = {
    ("regression", "higher"): "The {what} of one configuration dropped compared with its "
    "earlier runs.",
    ("regression", "lower"): "The {what} of one configuration rose compared with its earlier "
    "runs, which is worse.",
    ("improvement", "higher"): "The {what} of one configuration improved compared with its "
    "earlier runs.",
    ("improvement", "lower"): "The {what} of one configuration fell compared with its earlier "
    "runs, which is better.",
}


def _when(time: object) -> str:
    return f" of {time:%Y-%m-%d %H:%M}" if time is not None else ""


def _file(path: str | None) -> str:
    return (path or "").rpartition("/")[2]


def _runs(count: int) -> str:
    return f"{adaptive_number(count)} run{'s' if count != 1 else ''}"


def _confidence(p: float) -> str:
    """1 - p as a percentage, never rounded up to a certain 100%."""
    return "above 99.9%" if p < 0.001 else f"{one_decimal((1 - p) * 100)}%"


def change_statement(change: dict) -> str:
    """One change point in a sentence: what, how much, from what to what, how sure."""
    what = metric_words(change["metric"])
    unit = change["unit"] or ""
    verb = "rose" if change["change_pct"] > 0 else "fell"
    label = "Regression" if change["kind"] == "regression" else "Improvement"
    before = adaptive_number(change["before_median"])
    return (
        f"{label}: {what} of {change['model']} ({change['config']}) {verb} "
        f"{one_decimal(abs(change['change_pct']))}%, from a median {before} "
        f"{unit} over {_runs(change['before_points'])} ({adaptive_number(change['before_n'])} "
        f"measurements) to {adaptive_number(change['after_median'])} {unit} over "
        f"{_runs(change['after_points'])} ({adaptive_number(change['after_n'])}), from "
        f"{_file(change['after_source'])}{_when(change['after_time'])} on; {change['method']} "
        f"{p_value(change['p_value'])}, confidence {_confidence(change['p_value'])}."
    )  # fmt: skip


def _rows_of(view: HistoryView, series_id: str, first: int, stop: int) -> list[str]:
    """The rows ("source_path locator") behind points first..stop-1 of a series."""
    points = view.points.filter(pl.col("series_id") == series_id).sort("position")
    rows = points.slice(first, stop - first)["rows"].explode()
    return rows.head(MAX_SOURCE_ROWS).to_list()


def change_finding(change: dict, source_rows: list[str]) -> dict:
    direction = change["direction"] or "higher"
    return new_finding(
        change["kind"],
        "performance",
        change_statement(change),
        _IMPORTANCE[change["kind"]] + min(abs(change["change_pct"]), 50.0) / 10,
        subject="series",
        metric=change["metric"],
        unit=change["unit"],
        direction=direction,
        model=change["model"],
        config=change["config"],
        levels=["before", "after"],
        level_medians=[change["before_median"], change["after_median"]],
        level_n=[change["before_n"], change["after_n"]],
        n=change["before_n"] + change["after_n"],
        median=change["after_median"],
        value=change["change_pct"],
        effect_pct=abs(change["change_pct"]),
        test=change["method"],
        p_value=change["p_value"],
        verdict="significant",
        gist=_GISTS[(change["kind"], direction)].format(what=metric_words(change["metric"])),
        source_rows=source_rows,
    )


def _configuration_findings(series: pl.DataFrame, kind: str) -> list[dict]:
    if series.is_empty():
        return []
    first = kind == "new_configuration"
    if series.height > MAX_LISTED_CONFIGURATIONS:
        models = series["model"].n_unique()
        statement = (
            f"{adaptive_number(series.height)} configurations (of "
            f"{adaptive_number(models)} model{'s' if models != 1 else ''}) "
            + (
                "were measured for the first time."
                if first
                else "measured in the previous run are not in this run's files."
            )
        )
        gist = (
            "Several configurations were measured for the first time."
            if first
            else "Several configurations measured in the previous run are missing now."
        )
        return [
            new_finding(
                kind,
                "coverage",
                statement,
                _IMPORTANCE[kind] + 1,
                subject="configurations",
                n=series.height,
                value=series.height,
                gist=gist,
            )
        ]
    found = []
    for row in series.iter_rows(named=True):
        what = metric_words(row["metric"])
        unit = row["unit"] or ""
        if first:
            statement = (
                f"New configuration: {what} of {row['model']} ({row['config']}), measured for "
                f"the first time: median {adaptive_number(row['latest_value'])} {unit} over "
                f"{adaptive_number(row['measurements'])} measurements."
            )
            gist = "A configuration was measured for the first time."
        else:
            statement = (
                f"Removed configuration: {what} of {row['model']} ({row['config']}), measured "
                "in the previous run, is not in this run's files."
            )
            gist = "A configuration measured in the previous run is missing now."
        found.append(
            new_finding(
                kind,
                "coverage",
                statement,
                _IMPORTANCE[kind],
                subject="configuration",
                metric=row["metric"],
                unit=row["unit"],
                direction=row["direction"],
                model=row["model"],
                config=row["config"],
                n=row["measurements"],
                median=row["latest_value"] if first else None,
                value=row["latest_value"] if first else None,
                gist=gist,
            )
        )
    return found


def history_findings(view: HistoryView) -> list[dict]:
    """The findings of what changed in the reported run: its new change points, its new and
    removed configurations (none on a pile's first run: every series is new there)."""
    found = []
    for change in view.news.iter_rows(named=True):
        first = change["position"] - change["before_points"]
        stop = change["position"] + change["after_points"]
        rows = _rows_of(view, change["series_id"], first, stop)
        found.append(change_finding(change, rows))
    if not view.first_of_pile:
        found += _configuration_findings(view.new_series, "new_configuration")
        found += _configuration_findings(view.removed_series, "removed_configuration")
    return found
