"""Data-quality validation with Great Expectations: suites in expectations/, checks in Polars.

validate_metrics(PARSED_METRICS) -> ValidationResult; validate_files(FILES) and
validate_findings(FINDINGS) -> one row per expectation. Frames only: the Markdown summary of them
is tasks.report.quality_summary. No Prefect here: the flow wraps these.
"""

from tasks.validate.validate import (
    EXPECTATION_RESULTS,
    ValidationResult,
    validate_files,
    validate_findings,
    validate_metrics,
)

__all__ = [
    "EXPECTATION_RESULTS",
    "ValidationResult",
    "validate_files",
    "validate_findings",
    "validate_metrics",
]
