"""Prefect flows of Chimera Flows."""

# The stages' package first, whatever a flow module imports first: it sets how this process
# allocates before Polars is loaded (tasks/__init__.py).
import tasks  # noqa: F401
