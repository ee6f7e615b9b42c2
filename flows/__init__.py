"""Prefect flows of Chimera Flows."""
