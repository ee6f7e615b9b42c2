"""Load the Great Expectations suites in expectations/*.json and run them on a pandas frame.

In: a suite name ("files", "metrics") naming expectations/<name>.json in the `expectations`
package. Out: a `LoadedSuite` (the GE suite plus the specs read from the file, in file order),
and GE's validation result for a frame.

Every expectation in a suite file carries `meta.severity` (critical | warning) and `meta.reason`,
a sentence for a human that may name columns of the checked table in braces ("{error}"); they
are filled in per failing row. GE's suite silently drops an expectation it cannot build (an
unknown type, bad kwargs), so each entry is built first and any failure raises a SuiteError
naming the file, the position and the type; the loaded suite is then compared with the file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib.resources import files
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # Great Expectations and pandas are imported when a suite is built or run
    import great_expectations as gx
    import pandas as pd
    from great_expectations.core import ExpectationSuiteValidationResult
    from great_expectations.data_context import EphemeralDataContext
    from great_expectations.expectations.expectation import Expectation

SEVERITIES = ("critical", "warning")
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")

# COMPLETE returns every unexpected row's pandas index, which is the row's position in the
# Polars frame (to_pandas gives a RangeIndex). Naming unexpected_index_column_names instead
# makes GE build one dict per failing row: ~10 s for 100,000 failures, against ~0.2 s here.
RESULT_FORMAT = {"result_format": "COMPLETE", "return_unexpected_index_query": False}


class SuiteError(ValueError):
    """A suite file that cannot be used as written; the message names the file and the problem."""


@dataclass(frozen=True)
class ExpectationSpec:
    """One expectation as the suite file writes it, with the fields validation reports."""

    suite: str
    position: int  # order in the file; reasons are listed in this order
    type: str
    column: str
    severity: str  # critical | warning
    reason: str  # may hold {column} placeholders, filled per row

    @property
    def placeholders(self) -> list[str]:
        return PLACEHOLDER.findall(self.reason)


@dataclass(frozen=True)
class LoadedSuite:
    name: str
    path: str
    suite: gx.ExpectationSuite
    specs: tuple[ExpectationSpec, ...]

    @property
    def columns(self) -> list[str]:
        """The columns the suite checks, each once, in file order."""
        return list(dict.fromkeys(spec.column for spec in self.specs))


def new_context() -> EphemeralDataContext:
    """An in-memory GE context: no files written, no analytics, no progress bars."""
    # Imported here, not with the module: importing Great Expectations (and pandas with it)
    # takes 1.2-2.6 s, a third of a one-off run's start, and only validation needs it.
    import great_expectations as gx
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    _no_frame_fingerprints()
    config = DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
    return gx.get_context(mode="ephemeral", project_config=config)


def _no_frame_fingerprints() -> None:
    """GE fingerprints every in-memory pandas frame under HASH_THRESHOLD bytes (1 GB) by
    hashing all its cells, twice per validation, as a batch marker that nothing here reads: on
    a 50 MB CSV's 3.2 million rows, 36% of validation's time (3.4 of 9.5 s, py-spy). A frame
    over the threshold gets none, as GE does for big frames itself; the setting is GE's
    module constant, so it is set only where it exists."""
    from great_expectations.execution_engine import pandas_execution_engine

    if hasattr(pandas_execution_engine, "HASH_THRESHOLD"):
        pandas_execution_engine.HASH_THRESHOLD = 0


def read_suite_file(name: str) -> tuple[str, dict[str, Any]]:
    """The suite file's location and its parsed JSON."""
    resource = files("expectations").joinpath(f"{name}.json")
    try:
        text = resource.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise SuiteError(f"{resource}: no such suite file") from error
    try:
        return str(resource), json.loads(text)
    except json.JSONDecodeError as error:
        raise SuiteError(f"{resource}: not valid JSON ({error})") from error


def spec_from_json(suite: str, path: str, position: int, entry: Any) -> ExpectationSpec:
    """Read one expectation entry, failing with the file and position on anything missing."""
    where = f"{path}: expectation {position}"
    if not isinstance(entry, dict) or not isinstance(entry.get("type"), str):
        raise SuiteError(f"{where} has no 'type'")
    where = f"{where} ({entry['type']})"
    column = entry.get("kwargs", {}).get("column")
    meta = entry.get("meta", {})
    if not isinstance(column, str):
        raise SuiteError(f"{where} has no kwargs.column; only column expectations are supported")
    if meta.get("severity") not in SEVERITIES:
        raise SuiteError(f"{where} needs meta.severity, one of {', '.join(SEVERITIES)}")
    if not isinstance(meta.get("reason"), str) or not meta["reason"].strip():
        raise SuiteError(f"{where} needs meta.reason, a sentence saying why a row fails")
    return ExpectationSpec(suite, position, entry["type"], column, meta["severity"], meta["reason"])


def build_expectation(path: str, position: int, entry: dict[str, Any]) -> Expectation:
    """GE's object for one entry; an unknown type or bad kwargs names the file and position."""
    from great_expectations.exceptions import GreatExpectationsError
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    try:
        return ExpectationConfiguration(**entry).to_domain_obj()
    except (GreatExpectationsError, ValueError, TypeError) as error:
        raise SuiteError(
            f"{path}: expectation {position} ({entry.get('type')}) cannot be loaded: {error}"
        ) from error


def load_suite(context: EphemeralDataContext, name: str) -> LoadedSuite:
    """Read expectations/<name>.json into `context`, checking GE kept every expectation."""
    path, document = read_suite_file(name)
    return build_suite(context, name, path, document)


def build_suite(
    context: EphemeralDataContext, name: str, path: str, document: dict[str, Any]
) -> LoadedSuite:
    """A suite document (as read from `path`) added to `context`; any problem names `path`."""
    import great_expectations as gx

    entries = document.get("expectations")
    if not isinstance(entries, list) or not entries:
        raise SuiteError(f"{path}: 'expectations' must be a non-empty list")
    specs = tuple(spec_from_json(name, path, i, entry) for i, entry in enumerate(entries))
    expectations = [build_expectation(path, i, entry) for i, entry in enumerate(entries)]
    suite = gx.ExpectationSuite(
        name=document.get("name", name), expectations=expectations, meta=document.get("meta", {})
    )
    # The suite constructor logs and drops what it cannot take; never run a partial suite.
    kept = [expectation.expectation_type for expectation in suite.expectations]
    if kept != [spec.type for spec in specs]:
        dropped = sorted({spec.type for spec in specs} - set(kept)) or ["(a repeated one)"]
        raise SuiteError(
            f"{path}: Great Expectations loaded {len(kept)} of {len(specs)} expectations; "
            f"missing type(s): {', '.join(dropped)}"
        )
    return LoadedSuite(name, path, context.suites.add(suite), specs)


def run_suite(
    context: EphemeralDataContext, loaded: LoadedSuite, frame: pd.DataFrame
) -> ExpectationSuiteValidationResult:
    """Validate one pandas frame against the suite; an expectation that crashed is an error."""
    missing = [column for column in loaded.columns if column not in frame.columns]
    if missing:
        raise SuiteError(f"{loaded.path}: checks table has no column(s) {', '.join(missing)}")
    source = f"{loaded.name}_source"
    batch = (
        context.data_sources.add_pandas(source)
        .add_dataframe_asset(loaded.name)
        .add_batch_definition_whole_dataframe(loaded.name)
        .get_batch(batch_parameters={"dataframe": frame})
    )
    try:
        result = batch.validate(loaded.suite, result_format=RESULT_FORMAT)
    finally:
        # GE keeps the context as the process's project until the next get_context, and the
        # data source holds the frame and what GE computed on it: 235 MB on 3.8 million rows,
        # held to the end of the run.
        context.data_sources.delete(source)
    for item in result.results:
        messages = raised_messages(item.exception_info or {})
        if messages:
            config = item.expectation_config
            raise SuiteError(
                f"{loaded.path}: {config.type} on {config.kwargs.get('column')} could not run: "
                f"{'; '.join(messages)}"
            )
    return result


def raised_messages(exception_info: dict[str, Any]) -> list[str]:
    """GE's error messages for one expectation; its info is flat, or keyed by metric when a
    metric computation raised."""
    infos = [exception_info, *(v for v in exception_info.values() if isinstance(v, dict))]
    return [str(info.get("exception_message")) for info in infos if info.get("raised_exception")]


def results_in_file_order(
    loaded: LoadedSuite, result: ExpectationSuiteValidationResult
) -> list[tuple[ExpectationSpec, dict[str, Any], bool]]:
    """Pair each spec with GE's result for it: (spec, result dict, success), in file order."""
    by_id = {item.expectation_config.id: item for item in result.results}
    paired = []
    for spec, expectation in zip(loaded.specs, loaded.suite.expectations, strict=True):
        item = by_id.get(expectation.id)
        if item is None:
            raise SuiteError(f"{loaded.path}: no result for {spec.type} on {spec.column}")
        paired.append((spec, dict(item.result), bool(item.success)))
    return paired


def describe_for_saving(result: ExpectationSuiteValidationResult) -> dict[str, Any]:
    """GE's describe_dict(), without the full per-row lists (the quarantine table holds those).

    Those lists grow with the table (a million rows gives megabytes of indices); the partial
    lists GE keeps next to them are enough to see what failed.
    """
    described = result.describe_dict()
    for expectation in described.get("expectations", []):
        outcome = expectation.get("result") or {}
        for key in ("unexpected_list", "unexpected_index_list"):
            outcome.pop(key, None)
    return json.loads(json.dumps(described, default=str))
