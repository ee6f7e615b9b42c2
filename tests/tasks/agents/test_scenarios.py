import pytest

from tasks.agents.options import ModelOptions
from tasks.agents.scenarios import scenario_options


def test_baseline_vs_chimera_runs_a_on_backend_defaults():
    options = scenario_options("baseline_vs_chimera")

    assert options["A"].to_ollama() == {}
    assert options["B"].num_gpu == 80 and options["B"].num_ctx == 2048


def test_homo_uses_one_set_twice_and_hetero_two():
    assert scenario_options("chimera_homo")["A"] == scenario_options("chimera_homo")["B"]
    hetero = scenario_options("chimera_hetero")
    assert hetero["A"] != hetero["B"]


def test_config_file_then_overrides_are_laid_over_defaults(tmp_path):
    config = tmp_path / "agents.toml"
    config.write_text("[chimera_homo.B]\nnum_ctx = 8192\ntop_k = 20\n")

    options = scenario_options("chimera_homo", config, {"B": ModelOptions(temperature=0.0, seed=7)})

    assert options["B"].num_ctx == 8192 and options["B"].top_k == 20
    assert options["B"].temperature == 0.0 and options["B"].seed == 7
    assert options["B"].num_gpu == 80
    assert options["A"].num_ctx == 2048


def test_unknown_scenario_is_refused_with_the_choices():
    with pytest.raises(ValueError, match="chimera_homo"):
        scenario_options("turbo")
