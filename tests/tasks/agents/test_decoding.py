"""The embedded decode loop on the real SmolLM2 model: lazy grammar, sampling, stop texts."""

from __future__ import annotations

import json

import numpy as np
import pytest
from llama_cpp import LlamaGrammar

from tasks.agents.backends.decoding import _Text, decode
from tasks.agents.backends.embedded import _load
from tasks.agents.backends.models import resolve_model
from tasks.agents.backends.sampling import Samplers, _Candidates
from tasks.agents.options import ModelOptions

pytestmark = pytest.mark.slow

REPORT_SCHEMA = {
    "type": "object",
    "properties": {
        "summary": {"type": "string", "maxLength": 80},
        "fastest": {"enum": ["llama3", "gemma3", "qwen2"]},
        "tokens_per_s": {"type": "number"},
    },
    "required": ["summary", "fastest", "tokens_per_s"],
}
# A prose request, so the model's first choices ("The", "Sure") are ones the grammar rejects.
PROSE_REQUEST = (
    "<|im_start|>user\nTell me about the benchmark results.<|im_end|>\n<|im_start|>assistant\n"
)


@pytest.fixture(scope="module")
def llama():
    loaded, _ = _load(resolve_model("smollm2-135m"), 2048, -1, 2)
    with loaded.lock:
        yield loaded.llama


def grammar() -> LlamaGrammar:
    return LlamaGrammar.from_json_schema(json.dumps(REPORT_SCHEMA), verbose=False)


def prompt(llama) -> list[int]:
    return llama.tokenize(PROSE_REQUEST.encode(), add_bos=False, special=True)


def test_lazy_grammar_gives_llama_cpp_pythons_greedy_reply(llama):
    """Checking the drawn token first, then filtering the vocabulary on a rejection, picks the
    same tokens as filtering the whole vocabulary every time (llama-cpp-python's own loop)."""
    options = ModelOptions(temperature=0.0, repeat_penalty=1.1, num_predict=60, seed=1)

    ours = decode(llama, prompt(llama), options, grammar())
    llama.reset()
    theirs = llama.create_completion(
        prompt(llama), max_tokens=60, temperature=0.0, repeat_penalty=1.1, grammar=grammar()
    )

    assert ours.grammar_rejections >= 1  # the fallback pass really ran
    assert ours.sampled < 60 * 2  # and did not run at every token
    assert ours.text == theirs["choices"][0]["text"]


def test_sampling_under_the_grammar_gives_valid_json(llama):
    options = ModelOptions(temperature=1.0, top_k=40, top_p=0.9, repeat_penalty=1.1, seed=7)

    replies = [
        decode(llama, prompt(llama), options.model_copy(update={"num_predict": 120}), grammar())
        for _ in range(2)
    ]

    for reply in replies:
        assert reply.done_reason == "stop"
        document = json.loads(reply.text)
        assert document["fastest"] in {"llama3", "gemma3", "qwen2"}
        assert isinstance(document["tokens_per_s"], int | float)
    assert replies[0].text == replies[1].text  # the seed fixes the draws


def test_a_stop_text_split_over_tokens_ends_the_text_before_it(llama):
    text = _Text(llama, ["\nUser:"])
    tokens = llama.tokenize(b"Throughput rose.\nUser: and then", add_bos=False)

    stopped_at = next(i for i, token in enumerate(tokens) if text.add(token)[1])

    assert text.text == "Throughput rose."
    assert stopped_at < len(tokens) - 1


def test_the_reply_ends_at_num_predict_without_a_grammar(llama):
    options = ModelOptions(temperature=0.0, repeat_penalty=1.1, num_predict=5)

    reply = decode(llama, prompt(llama), options)

    assert (reply.sampled, reply.done_reason, reply.grammar_rejections) == (5, "length", 0)
    assert reply.text and reply.first_token_at <= reply.first_text_at


def test_the_full_pass_skips_only_tokens_the_grammar_rejects(llama):
    """At every step of a valid reply, the tokens the full pass leaves out unchecked (their first
    byte is rejected) are ones the grammar rejects when asked about each of them."""
    reply = '{"summary": "Gemma3 is fastest", "fastest": "gemma3", "tokens_per_s": 102.31}'
    samplers = Samplers(llama, ModelOptions(temperature=0.0, repeat_penalty=1.0), grammar())
    everything = _Candidates(samplers.n_vocab)
    logits = np.zeros(samplers.n_vocab, dtype=np.float32)
    checked_steps = 0
    for token in llama.tokenize(reply.encode(), add_bos=False):
        pruned = samplers.allowed_among(samplers.possible_tokens(), logits).tokens
        allowed_pruned = set(pruned["id"][np.isfinite(pruned["logit"])].tolist())
        everything.set(np.arange(samplers.n_vocab, dtype=np.int32), logits)
        samplers._apply(samplers.grammar, everything)
        allowed = set(everything.tokens["id"][np.isfinite(everything.tokens["logit"])].tolist())

        assert allowed_pruned == allowed
        assert token in allowed
        checked_steps += len(pruned) < samplers.n_vocab  # the pruning really left tokens out
        samplers.accept(token)
    samplers.close()
    assert checked_steps > 10
