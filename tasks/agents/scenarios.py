"""Scenarios: which model options agents A and B run with.

The defaults are data (scenarios.toml beside this module); a team's own TOML file of the same
shape, and per-agent overrides, are laid over them option by option.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

from tasks.agents.options import ModelOptions
from tasks.choices import SCENARIOS


def _defaults() -> dict:
    text = resources.files("tasks.agents").joinpath("scenarios.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def scenario_options(
    scenario: str,
    config_file: Path | None = None,
    overrides: dict[str, ModelOptions] | None = None,
) -> dict[str, ModelOptions]:
    """Options for agents "A" and "B": defaults, then the config file, then explicit overrides."""
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}; choose one of {', '.join(SCENARIOS)}")
    layers = [_defaults().get(scenario, {})]
    if config_file is not None:
        with Path(config_file).open("rb") as handle:
            layers.append(tomllib.load(handle).get(scenario, {}))
    options = {}
    for agent in ("A", "B"):
        merged: dict = {}
        for layer in layers:
            merged.update(layer.get(agent, {}))
        if overrides and agent in overrides:
            merged.update(overrides[agent].model_dump(exclude_none=True))
        options[agent] = ModelOptions(**merged)
    return options
