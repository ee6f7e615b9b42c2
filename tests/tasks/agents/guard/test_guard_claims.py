"""The guard's claim checks: a model's sentence is published only when it agrees with the
finding it cites and belongs in its section."""

import polars as pl
import pytest

from tasks.agents.claims import Claim
from tasks.agents.guard import GuardPolicy
from tasks.agents.guard.claims import check_claims, text_problems
from tasks.agents.personas import DATA_COLLECTOR, INSIGHT_AGENT
from tasks.facts.findings import gist
from tests.tasks.agents.findings_fixture import finding_id, small_findings

FINDINGS = small_findings()
RANKING = finding_id(FINDINGS, kind="ranking")
SAME = finding_id(FINDINGS, kind="effect", subject="num_gpu")
FAILURE = finding_id(FINDINGS, kind="failure_cause")
SECTIONS = DATA_COLLECTOR.outline + INSIGHT_AGENT.outline  # the tests use both agents' sections


def _check(section: str, finding: str, sentence: str, mitigation: str = ""):
    checked = check_claims([Claim(section, finding, sentence, mitigation)], FINDINGS, SECTIONS)
    return checked.checked[section][0]


def test_an_agreeing_claim_is_published_with_the_findings_numbers():
    claim = _check("executive_summary", RANKING, "The Gemma model has the best throughput")
    invented = _check(
        "executive_summary", RANKING, "The smaller Gemma model has the best throughput"
    )

    assert claim.accepted, claim.reasons
    assert invented.reasons == ("says small, which F001 does not",)  # size is not in the finding
    row = FINDINGS.filter(pl.col("finding_id") == RANKING).row(0, named=True)
    # the ranking's setup first: this pile has several, each with its own best
    setup = row["config"]
    assert claim.rendered.startswith(f"The Gemma model has the best throughput ({setup}: gemma3:1b")
    assert "181" in claim.rendered and RANKING in claim.rendered
    assert str(row["level_n"][0]) in claim.rendered


def test_a_number_written_by_the_model_is_rejected():
    claim = _check("executive_summary", RANKING, "Gemma reaches about 181 tokens per second")

    assert not claim.accepted
    assert any("writes a number" in r for r in claim.reasons)


def test_best_for_a_difference_within_noise_is_rejected_and_no_difference_accepted():
    wrong = _check("executive_summary", SAME, "The best GPU layer setting gives more throughput")
    right = _check(
        "executive_summary",
        SAME,
        "The GPU layer setting makes no measurable difference to throughput",
    )

    assert any('"best" needs a finding with a significant best' in r for r in wrong.reasons)
    assert right.accepted, right.reasons


def test_no_difference_for_a_significant_ranking_is_rejected():
    claim = _check("executive_summary", RANKING, "Both models have similar throughput overall")

    assert any("needs a finding of no measurable difference" in r for r in claim.reasons)


def test_a_superlative_naming_the_runner_up_is_rejected():
    claim = _check("executive_summary", RANKING, "The Llama model is the fastest of the models")

    assert any("the superlative names llama" in r for r in claim.reasons)


def test_a_claim_about_another_metric_or_another_finding_is_rejected():
    latency = _check("executive_summary", RANKING, "Gemma has the best time to first token here")
    foreign = _check("gaps", FAILURE, "Some runs failed because the Triton compiler was missing")

    assert any("speaks of ttft_ms" in r for r in latency.reasons)
    assert not foreign.accepted  # "Triton" is no word of the failure it cites
    meta = _check("gaps", FAILURE, "We think this finding shows the connection failed")
    assert any('talks about "We"' in r for r in meta.reasons)


def test_a_finding_of_the_wrong_kind_for_the_section_is_rejected():
    claim = _check("data_inventory", RANKING, "Gemma has the best throughput of all models")

    assert any("does not belong in data_inventory" in r for r in claim.reasons)


def test_gibberish_paths_and_echoes_of_the_prompt_are_not_claims():
    path = _check("data_inventory", finding_id(FINDINGS, kind="inventory", subject="files"),
                  "In ollama.com/llama/file the files found are listed in total")  # fmt: skip
    scraps = _check("gaps", FAILURE, "Failed (s) ____ :: -- failed records ... ,,,, ;;")
    echo = check_claims(
        [Claim("gaps", FAILURE, "The failed records rest on one of the findings below")],
        FINDINGS,
        SECTIONS,
        instructions="Each claim rests on one of the findings below and cites its id.",
    ).checked["gaps"][0]

    assert any("file name, path or URL" in r for r in path.reasons)
    assert not scraps.accepted
    assert "repeats the instructions" in echo.reasons


def test_a_ranking_claim_must_name_what_is_compared_and_stay_on_its_finding():
    from tasks.facts import compute_findings
    from tests.tasks.facts.builders import files_frame, metric_rows, metrics_frame

    same = {"model_family": "llama3.1", "model_params": "8b"}
    rows = [
        *metric_rows("q/quant.csv", "llama3.1:8b-q4_0", [77.0, 78.0, 77.5, 76.8], **same),
        *metric_rows("q/quant.csv", "llama3.1:8b-q8_0", [46.0, 46.5, 47.0, 46.2], start=5, **same),
    ]
    metrics = metrics_frame(rows)
    findings = compute_findings(files_frame(metrics), metrics)
    quant = finding_id(findings, kind="effect", subject="quantization")

    def check(sentence: str):
        claim = Claim("executive_summary", quant, sentence)
        return check_claims([claim], findings, SECTIONS).checked["executive_summary"][0]

    assert check("One quantization gives clearly the best throughput").accepted
    model = check("Llama is the best model for this throughput")
    assert any("does not name what is compared (quantization)" in r for r in model.reasons)
    load = check("One quantization has the best load time of all")
    assert any("speaks of load_ms" in r for r in load.reasons)
    invented = check("The quantization throughput was downloaded from an online site")
    assert any(r.startswith("says downl, onlin, site") for r in invented.reasons)
    cut = check("One quantization gives the best throughput, median ...")
    assert "is cut off" in cut.reasons


def test_a_claim_about_files_cites_a_finding_about_files_not_records():
    quarantined = FINDINGS.filter(pl.col("statement").str.contains("quarantined"))["finding_id"][0]
    wrong = _check("gaps", quarantined, "Several files were quarantined as failed runs")
    right = _check("gaps", quarantined, "Several records were quarantined as failed runs")

    assert any("says files" in r for r in wrong.reasons)
    assert right.accepted, right.reasons


def test_negations_number_words_and_asides_the_finding_does_not_make_are_rejected():
    cold = finding_id(FINDINGS, kind="cold_start")
    total = finding_id(FINDINGS, kind="inventory", subject="files")

    negated = _check("recommendations", cold, "The first call was a cold start (not a cold start)")
    counted = _check("data_inventory", total, "Two files were found in total")
    fraction = _check("recommendations", cold, "The first call was a cold start, less than ⅓ of it")
    aside = _check(
        "recommendations", cold, "The first call of a series was a cold start (start of a series)"
    )
    kept = _check("recommendations", cold, "The first call of a series was a cold start")

    assert any("negates" in r for r in negated.reasons)
    assert any('in words ("Two")' in r for r in counted.reasons)
    assert any("writes a number" in r for r in fraction.reasons)
    assert any("aside" in r for r in aside.reasons)
    assert kept.accepted, kept.reasons


def test_an_option_level_is_no_model_family():
    gap = finding_id(FINDINGS, kind="coverage_gap", subject="GPU telemetry")

    claim = _check("gaps", gap, "The files that measure speed yield no GPU telemetry metric")

    assert claim.accepted, claim.reasons  # "num_gpu=40" in another finding names no model "gpu"


def test_a_no_difference_claim_names_its_subject_and_negates_nothing_else():
    vague = _check("recommendations", SAME, "No measured difference to the throughput")
    negated = _check("risks", SAME, "The GPU layer setting is not measured for throughput")
    right = _check("recommendations", SAME, "The GPU layer setting makes no measured difference")

    assert any("does not name what is compared (num_gpu)" in r for r in vague.reasons)
    assert any("negates" in r for r in negated.reasons)
    assert right.accepted, right.reasons


@pytest.mark.parametrize(
    "sentence",
    [
        "The model is fast <script>alert(this)</script> on every setting tested.",
        "The model is fast <img src=x onerror=alert(this)> on every setting tested.",
        "The model is fast, see [the details](http://example.com) for every setting.",
        "The model is fast on every setting tested, see www.example.com for more.",
    ],
)
def test_model_text_with_html_or_links_is_never_published(sentence):
    assert text_problems(sentence)


def test_a_claim_in_a_section_the_persona_does_not_write_is_rejected():
    sentence = "Some records failed because the connection was refused"
    own = check_claims([Claim("gaps", FAILURE, sentence)], FINDINGS, DATA_COLLECTOR.outline)
    other = check_claims([Claim("gaps", FAILURE, sentence)], FINDINGS, INSIGHT_AGENT.outline)

    assert own.accepted("gaps"), own.checked["gaps"][0].reasons
    assert "gaps is no section of the persona" in other.checked["gaps"][0].reasons


def test_a_mitigation_is_checked_where_the_section_asks_for_one():
    sentence = "The refused connection failed these records"
    bad = "Re-run the failed records with the fastest model"
    risk = _check("risks", FAILURE, sentence, bad)
    gap = _check("gaps", FAILURE, sentence, bad)

    assert any(r.startswith('mitigation: "fastest" needs') for r in risk.reasons), risk.reasons
    assert gap.accepted, gap.reasons  # a gap asks for no mitigation: its text is not published


def test_the_claim_thresholds_come_from_the_policy():
    sentence = "Some records failed because the connection was refused"
    strict = GuardPolicy(min_claim_words=12, min_shared_words=9)
    claim = Claim("gaps", FAILURE, sentence)

    assert check_claims([claim], FINDINGS, SECTIONS).accepted("gaps")
    reasons = check_claims([claim], FINDINGS, SECTIONS, policy=strict).checked["gaps"][0].reasons
    assert "fewer than 12 words" in reasons
    assert "shares fewer than 9 words with the finding it cites" in reasons
    assert "is cut off" not in text_problems(sentence)
    assert "is cut off" in text_problems(sentence, GuardPolicy(cut_off_chars=len(sentence)))


def test_no_difference_is_rejected_for_a_shift_the_test_detects_within_the_noise():
    # The same finding, had its test detected the shift (p < 0.05) within the noise.
    detected = _detected(FINDINGS, SAME)

    def check(sentence: str):
        claims = [Claim("executive_summary", SAME, sentence)]
        return check_claims(claims, detected, SECTIONS).checked["executive_summary"][0]

    wrong = check("The GPU layer setting makes no measurable difference to throughput")
    right = check("The GPU layer setting has an effect on throughput within the noise")

    assert any("the test detects a shift, only within the noise" in r for r in wrong.reasons)
    assert right.accepted, right.reasons


def _detected(findings: pl.DataFrame, finding: str) -> pl.DataFrame:
    """The findings with one no-difference finding's test detecting its shift: p and gist."""
    rows = findings.to_dicts()
    for row in rows:
        if row["finding_id"] == finding:
            row["p_value"], row["gist"] = 0.01, None
            row["gist"] = gist(row)
    return pl.DataFrame(rows, schema=findings.schema)
