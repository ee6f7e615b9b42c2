"""Data-quality validation with Great Expectations: suites in expectations/, checks in Polars.

validate_metrics(PARSED_METRICS) -> ValidationResult; validate_files(FILES) and
validate_findings(FINDINGS) -> one row per expectation; render_quality_summary(...) -> Markdown.
No Prefect here: the flow wraps these.
"""

from tasks.validate.quality_summary import render_quality_summary
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
    "render_quality_summary",
    "validate_files",
    "validate_findings",
    "validate_metrics",
]
