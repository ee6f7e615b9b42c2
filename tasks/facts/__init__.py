"""Findings: validated tables in, the typed FINDINGS table out (tasks.schemas.FINDINGS)."""

from tasks.facts.findings import compute_findings
from tasks.facts.pack import FindingsPack, pack_findings

__all__ = ["FindingsPack", "compute_findings", "pack_findings"]
