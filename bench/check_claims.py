"""Check every published claim against metrics.parquet, apart from the code that made it.

Reads OUT/tables/{claims,findings,metrics,files}.parquet of one or more `chimera run` outputs.
For each published claim (the model's and the fallback's) it takes the finding the claim cites,
recomputes that finding from the metric rows it names (its source_rows), with numpy and scipy
only (no module of the project's analysis), and checks
- the rows: measurements that passed validation (failed records only for a failure cause);
- the numbers: level medians and counts, the test's p, the interval around the best, the load
  share, the failure count, the configuration's median;
- the verdict, from its own reading of the rules: a best needs p < 0.05 overall, at least three
  measurements on each of the top two, p < 0.05 between them and an interval that excludes the
  runner-up (below 6 values, where no 95% interval of the median exists, the best's range);
  a p that groups of these sizes could never bring below 0.05 is "not testable";
- the words: "best", "fastest", "choose" need a significant best; "no measurable difference",
  "similar" need that verdict; "faster", "improves" need a tested difference or a cold start;
- the text: every number of the published claim is one of the finding's (recomputed or written
  in its labels and statement).
Then, per backend and model (from agent_calls), how many claims and sections the model wrote.
Prints each wrong claim with why, and exits 1 when there is one.
Run: .venv/bin/python bench/check_claims.py OUT [OUT ...]
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import polars as pl
from scipy import stats

ALPHA = 0.05
MIN_REPEATS = 3
TOLERANCE = 1e-6
_SUPERLATIVE = re.compile(
    r"\b(best|fastest|quickest|top|prefer\w*|choose|winner|optimal|outperforms?|slowest|worst)\b",
    re.I,
)
_COMPARATIVE = re.compile(r"\b(faster|slower|better|worse|improv\w*|degrad\w*|ahead of)\b", re.I)
_NULL = re.compile(
    r"\b(no measurable difference|similar|comparable|negligible|no difference|"
    r"(?:does|do)(?: not|n't) (?:make|change|affect|matter))\b",
    re.I,
)
_NUMBER = re.compile(r"(?<![\w.])-?\d[\d,]*(?:\.\d+)?")


def _numbers(text: str) -> list[float]:
    return [float(n.replace(",", "")) for n in _NUMBER.findall(text or "")]


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= TOLERANCE * max(1.0, abs(a), abs(b))


def _written_equal(written: float, values: Iterable[float]) -> bool:
    """A written number equals a value when it is the value rounded as far as it is written."""
    text = f"{written}"
    decimals = len(text.split(".")[1]) if "." in text and not text.endswith(".0") else 0
    half = 0.5 * 10**-decimals
    return any(abs(abs(v) - abs(written)) <= half + 1e-9 for v in values)


class Recomputed:
    """What the metric rows a finding names say, computed here."""

    def __init__(self, finding: dict, metrics: pl.DataFrame) -> None:
        self.finding = finding
        rows = list(finding["source_rows"] or [])
        record = pl.format("{} {}", "source_path", "locator")
        # a row is "path locator", with " [p99]" for a tool's statistic; a failure names records
        key = record + pl.when(pl.col("statistic").is_not_null()).then(
            pl.format(" [{}]", "statistic")
        ).otherwise(pl.lit(""))
        if finding["kind"] == "failure_cause":
            key = record
        self.metrics = metrics
        self.rows = metrics.with_columns(_row=key).filter(pl.col("_row").is_in(rows))
        # the numbers in the rows' own names: "row 11", "/backends/onnx"
        self.locator_numbers = [n for loc in self.rows["locator"].unique() for n in _numbers(loc)]
        if finding["metric"] and finding["kind"] not in ("cold_start",):
            self.rows = self.rows.filter(pl.col("metric") == finding["metric"])
        self.problems: list[str] = []
        self.values: list[float] = []

    def check(self) -> list[str]:
        kind = self.finding["kind"]
        if kind in ("ranking", "effect"):
            self._comparison()
        elif kind == "configuration":
            self._configuration()
        elif kind == "cold_start":
            self._cold_start()
        elif kind == "failure_cause":
            self._failures()
        quarantined = (self.rows["status"] == "quarantined").any()
        if kind != "failure_cause" and self.rows.height and quarantined:
            self.problems.append("rests on a quarantined row")
        return self.problems

    def _expect(self, what: str, stored: float | None, computed: float | None) -> None:
        self.values += [v for v in (stored, computed) if v is not None]
        if not _close(stored, computed):
            self.problems.append(f"{what}: the finding says {stored}, the rows give {computed}")

    def _level_column(self) -> pl.Expr:
        subject = self.finding["subject"]
        if subject in ("model", "quantization"):
            return pl.coalesce("model_id", "model")
        if self.rows.schema[subject].is_numeric():
            # "num_gpu=80": the label as the finding writes it
            text = pl.col(subject).cast(pl.Float64)
            return pl.format(
                "{}={}",
                pl.lit(subject),
                pl.when(text == text.round(0))
                .then(text.cast(pl.Int64).cast(pl.Utf8))
                .otherwise(pl.col(subject).cast(pl.Utf8)),
            )
        return pl.col(subject).cast(pl.Utf8)

    def _comparison(self) -> None:
        f = self.finding
        if len(self.rows) != f["n"]:
            self.problems.append(f"n: the finding says {f['n']}, {len(self.rows)} rows found")
        groups = {
            level: frame["value"].to_numpy()
            for (level,), frame in self.rows.with_columns(_level=self._level_column()).group_by(
                ["_level"]
            )
        }
        for level, median, n in zip(f["levels"], f["level_medians"], f["level_n"], strict=True):
            values = groups.get(level)
            if values is None:
                self.problems.append(f"level {level}: no rows")
                continue
            self._expect(f"{level} median", median, float(np.median(values)))
            self._expect(f"{level} n", n, float(values.size))
        sign = -1 if f["direction"] == "higher" else 1
        ordered = sorted(groups, key=lambda k: (sign * float(np.median(groups[k])), k))
        if ordered and ordered[0] != f["levels"][0]:
            self.problems.append(f"best: the finding says {f['levels'][0]}, the rows {ordered[0]}")
        samples = [groups[k] for k in ordered]
        testable = len(samples) >= 2 and all(s.size >= 2 for s in samples)
        p = None
        if testable:
            everything = np.concatenate(samples)
            p = 1.0 if np.ptp(everything) == 0 else float(stats.kruskal(*samples).pvalue)
            self._expect("p", f["p_value"], p)
            start, apart = 0, []
            for s in samples:
                apart.append(np.arange(start, start + s.size, dtype=float))
                start += s.size
            testable = float(stats.kruskal(*apart).pvalue) < ALPHA
        medians = [float(np.median(s)) for s in samples]
        if not testable:
            verdict = "not testable"
        else:
            low = min(medians)
            spread = [
                (np.percentile(s, 75) - np.percentile(s, 25)) / abs(np.median(s)) * 100
                for s in samples
                if np.median(s)
            ]
            width = (max(medians) - low) / abs(low) * 100 if low else None
            noise = float(np.median(spread)) if spread else None
            if noise is not None:
                self.values.append(noise)
            top = samples[0], samples[1]
            top_p = 1.0 if np.ptp(np.concatenate(top)) == 0 else float(stats.kruskal(*top).pvalue)
            # the two leaders' own test, which a best's sentence states (exact for small groups)
            self.values.append(
                float(stats.mannwhitneyu(*top, alternative="two-sided", method="auto").pvalue)
            )
            ci = (f["ci_low"], f["ci_high"])
            # Below 6 values no 95% interval of the median exists (the range holds it with
            # probability 1 - 2^(1-n)): the finding has none, and the best's values must all lie
            # apart from the runner-up's median.
            if samples[0].size < 6 and ci[0] is not None:
                self.problems.append("a 95% interval of the median from fewer than 6 values")
            bounds = ci if ci[0] is not None else (samples[0].min(), samples[0].max())
            excludes = not (bounds[0] <= medians[1] <= bounds[1])
            if width is not None and noise is not None and width <= noise:
                verdict = "no measurable difference"
            elif p >= ALPHA:
                verdict = "inconclusive"
            elif min(s.size for s in top) >= MIN_REPEATS and top_p < ALPHA and excludes:
                verdict = "significant"
            else:
                verdict = "differs"
            if ci[0] is not None and not ci[0] <= medians[0] <= ci[1]:
                self.problems.append("the best's median lies outside its own interval")
            self.values += [v for v in ci if v is not None] or [float(v) for v in bounds]
        if verdict != f["verdict"]:
            self.problems.append(f"verdict: the finding says {f['verdict']}, the rows {verdict}")
        self.verdict = verdict
        if medians and medians[-1]:
            self.values.append((max(medians) - min(medians)) / abs(min(medians)) * 100)
        if len(medians) >= 2 and medians[1]:
            self.values.append(abs(medians[0] - medians[1]) / abs(medians[1]) * 100)
        self.values += [float(s.size) for s in samples] + [float(len(self.rows))]
        self.values += [float(self.rows["source_path"].n_unique()), float(len(samples))]

    def _configuration(self) -> None:
        values = self.rows["value"].to_numpy()
        self._expect("median", self.finding["median"], float(np.median(values)))
        self._expect("n", self.finding["n"], float(values.size))
        self.values += [float(np.percentile(values, 75) - np.percentile(values, 25))]
        self.values += [v for v in (self.finding["ci_low"], self.finding["ci_high"]) if v]

    def _cold_start(self) -> None:
        f = self.finding
        if f["subject"] == "load share":
            wide = self.rows.filter(pl.col("metric").is_in(["ttft_ms", "load_ms"])).pivot(
                "metric", index="_row", values="value", aggregate_function="first"
            )
            keys = self.rows.select("_row", "source_path", "model_id").unique("_row")
            wide = wide.join(keys, on="_row").with_columns(
                share=pl.col("load_ms") / pl.col("ttft_ms")
            )
            share = wide["share"].drop_nulls().to_numpy()
            self._expect("load share %", f["value"], float(np.median(share)) * 100)
            self._expect("calls", f["n"], float(share.size))
            per_file = wide.group_by("source_path", "model_id").agg(pl.col("share").median())
            self.values += [v * 100 for v in per_file["share"].to_list()]
            self.values += [float(self.rows["source_path"].n_unique()), float(share.size)]
            self.values += [float(wide["load_ms"].drop_nulls().median())]
        elif f["subject"] == "model reload":
            self._reloads()
        else:
            ttft = self.rows.filter(pl.col("metric") == "ttft_ms")
            self._expect("first calls", f["n"], float(ttft.height))
            self.values += ttft["value"].to_list()
            # each first call against the later calls of its file, model and options
            same = ["source_path", "model_id", "num_gpu", "num_ctx", "temperature", "top_p",
                    "top_k", "config"]  # fmt: skip
            for call in ttft.iter_rows(named=True):
                later = self.metrics.filter(
                    (pl.col("metric") == "ttft_ms")
                    & (pl.col("status") != "quarantined")
                    & pl.col("copy_of").is_null()
                    & (pl.col("locator") != call["locator"])
                    & pl.all_horizontal(pl.col(c).eq_missing(call[c]) for c in same)
                )["value"]
                if later.len():
                    rest = float(later.median())
                    self.values += [rest, call["value"] / rest]

    def _reloads(self) -> None:
        """Each cited call's load time is RELOAD_FACTOR (5) times or more the median of its
        file's calls of that model; the count, the range and the usual load, recomputed."""
        f = self.finding
        loads = self.metrics.filter(
            (pl.col("metric") == "load_ms")
            & (pl.col("status") != "quarantined")
            & pl.col("copy_of").is_null()
        ).select("source_path", "locator", "model_id", "value")
        usual = loads.group_by("source_path", "model_id").agg(all=pl.col("value").median())
        calls = loads.join(
            self.rows.select("source_path", "locator").unique(), on=["source_path", "locator"]
        ).join(usual, on=["source_path", "model_id"])
        self._expect("calls", f["n"], float(calls.height))
        if calls.filter(pl.col("value") < 5 * pl.col("all")).height:
            self.problems.append("a cited call's load time is below five times its file's median")
        others = (
            loads.join(calls.select("source_path", "locator"), on=["source_path", "locator"],
                       how="anti")
            .group_by("source_path", "model_id")
            .agg(other=pl.col("value").median())
        )  # fmt: skip
        kept = calls.join(others, on=["source_path", "model_id"], how="left")
        self.values += calls["value"].to_list() + [float(calls["source_path"].n_unique())]
        self.values += [float(kept["other"].drop_nulls().median())]

    def _failures(self) -> None:
        f = self.finding
        records = self.rows.select("source_path", "locator", "status").unique()
        if not (records["status"] == "quarantined").all():
            self.problems.append("a failure cause cites a record that passed")
        self._expect("failed records", f["n"], float(records.height))


def wording_problems(sentence: str, verdict: str | None, kind: str) -> list[str]:
    compared = kind in ("ranking", "effect")
    problems = []
    if _SUPERLATIVE.search(sentence) and not (compared and verdict == "significant"):
        problems.append(f'"{_SUPERLATIVE.search(sentence).group(0)}" without a significant best')
    comparative = _COMPARATIVE.search(sentence)
    if comparative and not (
        (compared and verdict in ("significant", "differs"))
        # a change since earlier runs (tasks.history) was tested against them
        or kind in ("cold_start", "outlier", "regression", "improvement")
    ):
        problems.append(f'"{comparative.group(0)}" without a tested difference')
    if _NULL.search(sentence) and verdict != "no measurable difference":
        problems.append(f'"{_NULL.search(sentence).group(0)}" but the verdict is {verdict}')
    return problems


def _label_numbers(finding: dict) -> list[float]:
    """Numbers inside names: file names, model names, option labels, the error text."""
    texts = [
        finding.get("experiment") or "",
        finding.get("model") or "",
        finding.get("config") or "",
        *(finding.get("levels") or []),
    ]
    found = [n for text in texts for n in _numbers(text)]
    # the statement's quoted names and paths ("... in llama3_q4_benchmark_fixed_runs.csv row 1")
    for token in re.findall(r"[\w./:-]*[A-Za-z_][\w./:-]*", finding["statement"]):
        found += _numbers(token)
    return found


def check_claim(claim: dict, finding: dict | None, metrics: pl.DataFrame) -> list[str]:
    if finding is None:
        return [f"cites {claim['finding_id']}, which is not in findings.parquet"]
    recomputed = Recomputed(finding, metrics)
    problems = recomputed.check()
    verdict = getattr(recomputed, "verdict", finding["verdict"])
    problems += wording_problems(claim["sentence"], verdict, finding["kind"])
    allowed = [
        *recomputed.values,
        *recomputed.locator_numbers,
        *_label_numbers(finding),
        *[
            v
            for v in (finding["n"], finding["value"], finding["median"], finding["spread"])
            if v is not None
        ],
        95.0,
        ALPHA,
        0.001,
        MIN_REPEATS,
    ]
    if finding["kind"] not in ("ranking", "effect", "configuration", "cold_start"):
        # counts: the statement's own numbers (checked against the tables by
        # check_report_numbers.py) are what the claim may carry
        allowed += _numbers(finding["statement"])
    for number in _numbers(claim["rendered"]):
        if not _written_equal(number, allowed):
            problems.append(f"number {number:g} is none of the finding's")
    return problems


def _read(out: Path, name: str) -> pl.DataFrame:
    return pl.read_parquet(out / "tables" / f"{name}.parquet")


def check_out(out: Path) -> tuple[pl.DataFrame, list[tuple[dict, list[str]]]]:
    """The published claims of one output folder with their backend and model, and the wrong
    ones with why."""
    claims = _read(out, "claims").filter(pl.col("published"))
    findings = {r["finding_id"]: r for r in _read(out, "findings").iter_rows(named=True)}
    metrics = _read(out, "metrics")
    calls = (
        _read(out, "agent_calls")
        .select("run", "agent", "backend", "model")
        .unique(["run", "agent"])
    )
    wrong = []
    for claim in claims.iter_rows(named=True):
        problems = check_claim(claim, findings.get(claim["finding_id"]), metrics)
        if problems:
            wrong.append((claim, problems))
    claims = claims.join(calls, on=["run", "agent"], how="left").with_columns(
        pl.col("backend").fill_null("none"), pl.col("model").fill_null("none")
    )
    return claims, wrong


def shares(claims: pl.DataFrame) -> pl.DataFrame:
    """Per backend, model and scenario: claims and sections, and how many the model wrote."""
    sections = claims.group_by("backend", "model", "scenario", "run", "agent", "section").agg(
        by_model=(pl.col("written_by") == "model").all()
    )
    per_claims = claims.group_by("backend", "model", "scenario").agg(
        claims=pl.len(), model_claims=(pl.col("written_by") == "model").sum()
    )
    per_sections = sections.group_by("backend", "model", "scenario").agg(
        runs=pl.col("run").n_unique(),
        sections=pl.len(),
        model_sections=pl.col("by_model").sum(),
    )
    return (
        per_claims.join(per_sections, on=["backend", "model", "scenario"])
        .with_columns(
            model_claims_pct=pl.col("model_claims") / pl.col("claims") * 100,
            model_sections_pct=pl.col("model_sections") / pl.col("sections") * 100,
        )
        .sort("backend", "model", "scenario")
    )


def main(argv: Iterable[str]) -> int:
    outs = [Path(a) for a in argv]
    if not outs:
        print("usage: check_claims.py OUT [OUT ...]", file=sys.stderr)
        return 2
    every, wrong = [], []
    for out in outs:
        claims, found = check_out(out)
        every.append(claims)
        wrong += [(out, claim, problems) for claim, problems in found]
    claims = pl.concat(every, how="diagonal_relaxed")
    for out, claim, problems in wrong:
        print(
            f"WRONG {out} run {claim['run']} agent {claim['agent']} {claim['section']} "
            f"{claim['finding_id']} ({claim['written_by']}): {'; '.join(problems)}\n"
            f"      {claim['rendered']}"
        )
    with pl.Config(tbl_rows=100, tbl_cols=20, tbl_width_chars=200, fmt_str_lengths=40):
        print(shares(claims))
    print(f"{len(wrong)} wrong of {claims.height} published claims in {len(outs)} output folders")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
