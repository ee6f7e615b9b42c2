"""The embedded backend: model files found in their packages, and real replies from tiny models.

Model-running tests use temperature 0, a fixed seed and a few tokens, and check structure and
timings, never wording.
"""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from tasks.agents.backends import BackendError, EmbeddedBackend
from tasks.agents.backends.embedded import effective_options, format_plain_prompt
from tasks.agents.backends.models import resolve_model
from tasks.agents.options import ModelOptions

GREEDY = {"temperature": 0.0, "seed": 42}
HELLO = [{"role": "user", "content": "Say hello in one short sentence."}]
COLOUR_SCHEMA = {
    "type": "object",
    "properties": {"colour": {"enum": ["red", "green", "blue"]}},
    "required": ["colour"],
}
COLOUR_QUESTION = [
    {"role": "system", "content": "You answer with JSON only."},
    {"role": "user", "content": "What colour is a clear daytime sky?"},
]


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("smollm2-135m", "smollm2-135m"),
        ("smollm2:135m", "smollm2-135m"),
        ("gemma3-270m", "gemma3-270m"),
        ("gemma3:270m", "gemma3-270m"),
    ],
)
def test_known_models_resolve_to_gguf_files_from_their_packages(name, canonical):
    model = resolve_model(name)

    assert model.name == canonical
    assert model.path.suffix == ".gguf"
    with model.path.open("rb") as handle:
        assert handle.read(4) == b"GGUF"


def test_unknown_model_or_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(
        BackendError, match="unknown embedded model 'llama9'.*smollm2-135m"
    ) as raised:
        EmbeddedBackend("llama9")
    assert not raised.value.retryable
    missing = tmp_path / "nowhere.gguf"
    with pytest.raises(BackendError, match=re.escape(f"model file {missing} does not exist")):
        EmbeddedBackend(str(missing))


def test_a_file_that_is_not_a_model_fails_on_first_use_naming_the_file(tmp_path):
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"not a model")
    backend = EmbeddedBackend(str(broken))

    with pytest.raises(BackendError, match=re.escape(f"'{broken}' ({broken}) could not be loaded")):
        backend.chat(HELLO, ModelOptions(num_predict=1))


def test_plain_prompt_puts_system_first_and_ends_at_the_assistant_turn():
    messages = [
        {"role": "system", "content": "Facts: A is 3."},
        {"role": "user", "content": " What is A? "},
    ]

    assert format_plain_prompt(messages) == "Facts: A is 3.\n\nUser: What is A?\nAssistant:"


def test_unset_options_take_ollamas_defaults_and_set_ones_win():
    run = effective_options(ModelOptions(temperature=0.0, num_ctx=1024))

    assert run.to_ollama() == {
        "num_gpu": -1,
        "num_ctx": 1024,
        "temperature": 0.0,
        "top_p": 0.9,
        "top_k": 40,
        "repeat_penalty": 1.1,
        "num_predict": 256,
    }


@pytest.mark.slow
def test_chat_returns_text_counts_and_timings():
    backend = EmbeddedBackend("smollm2-135m")

    reply = backend.chat(HELLO, ModelOptions(**GREEDY, num_predict=8))

    assert reply.text.strip()
    assert (reply.backend, reply.model) == ("embedded", "smollm2-135m")
    assert reply.options["temperature"] == 0.0 and reply.options["num_predict"] == 8
    assert 1 <= reply.eval_count <= 8
    assert reply.done_reason in {"stop", "length"}
    assert reply.prompt_eval_count > len(HELLO[0]["content"].split())
    assert reply.tokens_per_s > 0
    assert 0 < reply.ttft_ms <= reply.total_ms
    assert reply.prompt_eval_ms > 0 and reply.eval_ms > 0
    assert reply.load_ms + reply.prompt_eval_ms + reply.eval_ms <= reply.total_ms + 1.0


@pytest.mark.slow
def test_num_predict_caps_the_reply_length():
    backend = EmbeddedBackend("smollm2-135m")
    long_task = [{"role": "user", "content": "Write a long story about a lighthouse keeper."}]

    reply = backend.chat(long_task, ModelOptions(**GREEDY, num_predict=4))

    assert (reply.eval_count, reply.done_reason) == (4, "length")


@pytest.mark.slow
def test_same_seed_at_temperature_zero_gives_the_same_reply():
    backend = EmbeddedBackend("smollm2-135m")
    options = ModelOptions(**GREEDY, num_predict=8)

    first, second = backend.chat(HELLO, options), backend.chat(HELLO, options)

    assert first.text == second.text


@pytest.mark.slow
def test_load_time_is_reported_only_by_the_call_that_loaded():
    backend = EmbeddedBackend("smollm2-135m")
    options = ModelOptions(**GREEDY, num_predict=2, num_ctx=1536)  # a context no other test uses

    first, second = backend.chat(HELLO, options), backend.chat(HELLO, options)

    assert first.load_ms > 0
    assert second.load_ms == 0
    assert first.ttft_ms >= first.load_ms  # like Ollama, the first call's wait includes the load


@pytest.mark.parametrize("model", ["smollm2-135m", "gemma3-270m"])
@pytest.mark.slow
def test_json_schema_constrains_the_reply(model):
    """smollm2 goes through its chat template, gemma3 (a base model) through a plain prompt."""
    backend = EmbeddedBackend(model)

    reply = backend.chat(COLOUR_QUESTION, ModelOptions(**GREEDY, num_predict=24), COLOUR_SCHEMA)

    assert reply.done_reason == "stop"
    assert json.loads(reply.text)["colour"] in {"red", "green", "blue"}


@pytest.mark.slow
def test_prompt_longer_than_the_context_is_a_backend_error():
    backend = EmbeddedBackend("smollm2-135m")
    too_long = [{"role": "user", "content": "benchmark " * 200}]

    with pytest.raises(
        BackendError, match=r"'smollm2-135m' \(.*\.gguf\).*does not fit num_ctx 128"
    ) as raised:
        backend.chat(too_long, ModelOptions(**GREEDY, num_ctx=128))
    assert not raised.value.retryable


@pytest.mark.slow
def test_threads_sharing_one_model_each_get_a_whole_reply():
    backend = EmbeddedBackend("smollm2-135m")
    options = ModelOptions(**GREEDY, num_predict=6)
    alone = backend.chat(HELLO, options)

    with ThreadPoolExecutor(max_workers=2) as pool:
        replies = list(pool.map(lambda _: backend.chat(HELLO, options), range(2)))

    assert [reply.text for reply in replies] == [alone.text, alone.text]
