"""Facts: validated tables in, numbered statements with their values out (tasks.schemas.FACTS)."""

from tasks.facts.compute import compute_facts
from tasks.facts.pack import FactsPack, pack_facts

__all__ = ["FactsPack", "compute_facts", "pack_facts"]
