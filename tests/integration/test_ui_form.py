"""A manual run started from the Prefect UI's form, in a real browser, as a user starts one.

Headless Chromium (tests/browser.py) logs in to the PostgreSQL-backed server of conftest.py,
goes Deployments -> manual -> Run -> Custom run, reads the parameters' help texts, fills the
typed fields (sources, out_dir, backend, scenario, runs; no guard retries and temperature 0 for
both agents, as the other integration runs), submits, opens the new run from the deployment's
list and, once the API says it is over, its Artifacts tab. Screenshots of the filled form and of
the artifacts go to test-output/ (tests.browser.screenshot_dir).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest
from playwright.sync_api import Locator, Page

from tests import browser
from tests.integration.processes import wait_for
from tests.integration.servers import FINAL_STATES, RUN_TIMEOUT_S, Deployed, Server

pytestmark = [
    pytest.mark.slow,
    # The database a team's server runs on; it also shares that server with test_server.py.
    pytest.mark.parametrize("database", ["postgresql"], indirect=True),
]

UI_TIMEOUT_MS = 60_000  # the UI on 2 busy cores
# Not the form's default, so the choice must reach the run. Not chimera_homo either: its two
# agents share one embedded model instance and take turns, 2-4 times slower here.
SCENARIO = "chimera_hetero"
RUNS = 2
FORM_SHOT = "ui-form-filled.png"
ARTIFACTS_SHOT = "ui-run-artifacts.png"
FAILURE_SHOT = "ui-form-failure.png"
# Artifacts every completed run shows: the combined report per run, the summary, the tables
ARTIFACT_KEYS = [
    "benchmark-report",
    "benchmark-summary",
    "agent-ab",
    "data-quality",
    "report-run-1-combined",
    "report-run-2-combined",
    "table-metrics",
]


@dataclass
class FormRun:
    form_help: dict[str, bool]  # parameter -> its description is shown in the form
    typed: dict  # what the test typed and chose in the form
    run: dict  # the flow run, as the API gives it once it is over
    state_shown: bool  # the run's page says "Completed"
    artifacts: list[str]  # the artifact keys the run's Artifacts tab shows
    screenshots: list[Path]


def parameter_field(page: Page, scope: Page | Locator, label: str) -> Locator:
    """The form's block for one parameter: its label, help text and input.

    The innermost block holding the label, so a nested field (an agent's temperature) is found
    inside its own parameter's block.
    """
    label_text = page.locator("label").get_by_text(label, exact=True)
    return scope.locator("div.group").filter(has=label_text).last


def log_in(page: Page, server: Server) -> None:
    page.goto(server.ui_url)
    page.get_by_placeholder("admin:pass").fill(server.auth)
    page.get_by_role("button", name="Login").click()
    page.wait_for_url("**/dashboard**")


def open_custom_run_form(page: Page) -> None:
    page.get_by_role("link", name="Deployments").first.click()
    page.get_by_role("link", name="manual", exact=True).click()
    page.get_by_role("button", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Custom run").click()
    page.get_by_role("textbox", name="out_dir").wait_for()


def help_texts_shown(page: Page, schema: dict) -> dict[str, bool]:
    """For each parameter of the deployment's schema: whether the form shows its description."""
    shown = {}
    for name, field in schema["properties"].items():
        description = " ".join((field.get("description") or "").split())
        shown[name] = bool(description) and page.get_by_text(description, exact=True).count() > 0
    return shown


def choose(page: Page, select: str, option: str) -> None:
    page.get_by_role("button", name=f"Select {select}").click()
    page.get_by_role("option", name=option, exact=True).click()


def set_temperature(page: Page, agent_options: str, value: str) -> None:
    """An agent's options are a nested form: pick its ModelOptions, then temperature's float."""
    options = parameter_field(page, page, f"{agent_options} (Optional)")
    options.get_by_role("tab", name="ModelOptions").click()
    temperature = parameter_field(page, options, "Temperature (Optional)")
    temperature.get_by_role("tab", name="float").click()
    temperature.get_by_role("spinbutton").fill(value)


def fill_form(page: Page, sources: str, out_dir: str) -> dict:
    """Fill the typed fields; what was typed, as the run's parameters should have it."""
    parameter_field(page, page, "sources").get_by_role("textbox").first.fill(sources)
    page.get_by_role("textbox", name="out_dir").fill(out_dir)
    choose(page, "backend", "embedded")
    choose(page, "scenario", SCENARIO)
    page.get_by_role("spinbutton", name="runs (Optional)").fill(str(RUNS))
    page.get_by_role("spinbutton", name="max_retries (Optional)").fill("0")
    for agent_options in ("options_a", "options_b"):
        set_temperature(page, agent_options, "0")
    return {
        "sources": [sources],
        "out_dir": out_dir,
        "backend": "embedded",
        "scenario": SCENARIO,
        "runs": RUNS,
        "max_retries": 0,
    }


def finished_run(server: Server, flow_run_id: str) -> dict | None:
    run = server.flow_run(flow_run_id)
    return run if run["state"]["type"] in FINAL_STATES else None


def artifact_keys(page: Page) -> list[str]:
    """The headings of the Artifacts tab's cards, once the run's combined report is listed."""
    page.get_by_role("tab", name="Artifacts").click()
    panel = page.get_by_role("tabpanel", name="Artifacts")
    panel.get_by_role("heading", name="benchmark-report", exact=True).first.wait_for()
    return panel.get_by_role("heading").all_inner_texts()


@pytest.fixture(scope="module")
def form_run(deployed: Deployed) -> FormRun:
    server = deployed.server
    deployment = server.request(
        "GET", f"/deployments/{server.deployment_id('benchmark-report/manual')}"
    ).json()
    shots = browser.screenshot_dir()
    (shots / FAILURE_SHOT).unlink(missing_ok=True)  # one left there says this run failed
    with browser.chromium_page() as page:
        page.set_default_timeout(UI_TIMEOUT_MS)
        try:
            log_in(page, server)
            open_custom_run_form(page)
            form_help = help_texts_shown(page, deployment["parameter_openapi_schema"])
            typed = fill_form(page, str(deployed.bench), str(deployed.out / "ui-form"))
            run_name = page.get_by_role("textbox", name="Run Name").input_value()
            page.screenshot(path=shots / FORM_SHOT, full_page=True)
            page.get_by_role("button", name="Submit").click()

            # Submitting leads back to the deployment, whose list shows the new run.
            page.get_by_role("link", name=run_name, exact=True).click()
            page.wait_for_url("**/flow-run/**")
            flow_run_id = page.url.split("/flow-run/")[1].split("?")[0]
            run = wait_for(
                lambda: finished_run(server, flow_run_id),
                RUN_TIMEOUT_S,
                every_s=2,
                what=f"flow run {run_name} to finish",
            )
            page.reload()
            artifacts = artifact_keys(page)  # waits until the run's page has loaded
            state_shown = page.get_by_text("Completed", exact=True).first.is_visible()
            page.screenshot(path=shots / ARTIFACTS_SHOT, full_page=True)
        except Exception:
            # What the browser showed when it went wrong, for the person reading the failure.
            page.screenshot(path=shots / FAILURE_SHOT, full_page=True)
            raise
    screenshots = [shots / FORM_SHOT, shots / ARTIFACTS_SHOT]
    return FormRun(form_help, typed, run, state_shown, artifacts, screenshots)


def test_the_form_shows_a_help_text_for_every_parameter(form_run):
    missing = [name for name, shown in form_run.form_help.items() if not shown]

    assert "sources" in form_run.form_help
    assert missing == [], "parameters without a help text in the form (flow docstring's Args)"


def test_the_run_gets_the_parameters_typed_in_the_form(form_run):
    parameters = form_run.run["parameters"]

    assert {name: parameters[name] for name in form_run.typed} == form_run.typed
    assert parameters["options_a"]["temperature"] == 0
    assert parameters["options_b"]["temperature"] == 0


def test_the_run_started_from_the_form_completes_with_its_reports(form_run, deployed):
    run = form_run.run
    out = Path(run["parameters"]["out_dir"])

    assert run["state"]["type"] == "COMPLETED", deployed.server.logs()
    assert form_run.state_shown, "the run's page should say Completed"
    for number in range(1, RUNS + 1):
        assert (out / "reports" / f"run-{number}" / "combined.md").read_text().startswith("# ")
    assert (out / "reports" / "summary.md").is_file()
    calls = pl.read_parquet(out / "tables" / "agent_calls.parquet")
    assert set(calls["backend"]) == {"embedded"}
    assert sorted(set(calls["run"])) == list(range(1, RUNS + 1))


def test_the_run_page_lists_its_reports_and_tables_as_artifacts(form_run):
    assert set(ARTIFACT_KEYS) <= set(form_run.artifacts), form_run.artifacts
    for screenshot in form_run.screenshots:
        assert screenshot.stat().st_size > 0, screenshot
