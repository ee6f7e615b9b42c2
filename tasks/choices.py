"""The choices a run offers, defined once: the flow's parameter types, the command line's
options and the backends all take them from here (a light module: `chimera --help` imports it)."""

from __future__ import annotations

from typing import Literal, get_args

# replay: answers recorded on an earlier run (tasks/agents/backends/replay.py), no model
BackendKind = Literal["auto", "ollama", "embedded", "replay"]
ScenarioName = Literal["baseline_vs_chimera", "chimera_hetero", "chimera_homo"]
# now: the agents run; follow-up: a deployment run publishes at once and starts one that runs
# them; off: no model at all, the sections rendered from the findings
AgentsWhen = Literal["now", "follow-up", "off"]
# where a big pile's parse batches run (tasks/ingest/runners.py)
ParseRunner = Literal["workers", "process", "dask"]

BACKENDS: tuple[str, ...] = get_args(BackendKind)
SCENARIOS: tuple[str, ...] = get_args(ScenarioName)
AGENTS_WHEN: tuple[str, ...] = get_args(AgentsWhen)
PARSE_RUNNERS: tuple[str, ...] = get_args(ParseRunner)

# Bounds of the flow's numeric parameters, (lowest, highest): the form and the CLI check them.
RUNS = (1, 100)  # how many times the agents run
MAX_RETRIES = (0, 5)  # guard retries per draft
