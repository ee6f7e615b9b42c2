"""`chimera run` offers what the flow takes: the same choices and defaults, so they cannot drift."""

from __future__ import annotations

import inspect
from typing import Annotated, get_args, get_origin, get_type_hints

from flows.benchmark_report import benchmark_report
from flows.cli import _parser

# CLI option -> flow parameter, where the names differ
RENAMED = {"out": "out_dir", "config": "config_file"}
CLI_ONLY = {"json", "debug"}  # how the command prints, not what the flow does


def _run_options() -> dict:
    commands = next(a for a in _parser()._actions if a.dest == "command")
    run = commands.choices["run"]
    return {a.dest: a for a in run._actions if a.dest != "help" and a.dest not in CLI_ONLY}


def test_every_run_option_is_a_flow_parameter_with_its_default_and_choices():
    parameters = inspect.signature(benchmark_report.fn).parameters
    hints = get_type_hints(benchmark_report.fn, include_extras=True)
    for dest, action in _run_options().items():
        name = RENAMED.get(dest, dest)
        assert name in parameters, f"--{dest} has no flow parameter"
        parameter = parameters[name]
        if parameter.default is not inspect.Parameter.empty:
            assert action.default == parameter.default, dest
        if action.choices:
            hint = hints[name]
            literal = get_args(hint)[0] if get_origin(hint) is Annotated else hint
            assert tuple(action.choices) == get_args(literal), dest
