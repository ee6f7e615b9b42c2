"""Chimera Flows stages: pure functions per stage, with thin Prefect task wrappers."""
