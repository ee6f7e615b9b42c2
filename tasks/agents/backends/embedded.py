"""Embedded backend: a GGUF model run in this process by llama.cpp (llama-cpp-python), no server.

In: chat messages, ModelOptions under Ollama's names (mapped to llama.cpp's, Ollama's defaults
where unset), optionally a JSON schema the reply must follow. Out: a Completion whose timings are
measured here the way Ollama reports them, or a BackendError naming the model file and the cause.

Messages are formatted with the model's own chat template (from the GGUF metadata); a base model
without one gets a plain "User:/Assistant:" transcript. Both are tokenized here and decoded by
decoding.py, so one code path counts the prompt tokens exactly and applies the JSON-schema grammar.
"""

from __future__ import annotations

import atexit
import json
import os
import threading
from dataclasses import dataclass
from time import perf_counter
from typing import TYPE_CHECKING, Any

from tasks.agents.backends.base import BackendError, Completion, tokens_per_second
from tasks.agents.backends.decoding import DecodeError, decode
from tasks.agents.backends.models import EmbeddedModel, resolve_model
from tasks.agents.options import ModelOptions

if TYPE_CHECKING:
    from llama_cpp import Llama

# Ollama's defaults, used where an option is None (num_predict is capped: Ollama's is unlimited).
DEFAULT_OPTIONS = ModelOptions(
    num_gpu=-1,  # all layers (ignored by a CPU-only llama.cpp build)
    num_ctx=2048,
    temperature=0.8,
    top_p=0.9,
    top_k=40,
    repeat_penalty=1.1,
    num_predict=256,
)
PLAIN_STOP = ["\nUser:"]  # where a base model starts writing the user's next turn


def effective_options(options: ModelOptions) -> ModelOptions:
    """The options a call runs with: the caller's, then Ollama's defaults for the rest."""
    return DEFAULT_OPTIONS.model_copy(update=options.model_dump(exclude_none=True))


def format_plain_prompt(messages: list[dict[str, str]]) -> str:
    """A transcript a base model (no chat template) continues as the assistant."""
    lines = []
    for message in messages:
        role, content = message["role"], message["content"].strip()
        if role == "system":
            lines.append(f"{content}\n")
        else:
            lines.append(f"{role.capitalize()}: {content}")
    lines.append("Assistant:")
    return "\n".join(lines)


@dataclass
class _LoadedModel:
    """One Llama and the lock that serialises calls to it (a Llama is not thread-safe)."""

    llama: Llama
    lock: threading.Lock
    chat_formatter: Any  # llama_cpp Jinja2ChatFormatter, or None for a base model


# One loaded Llama per (file, num_ctx, num_gpu, n_threads) for the whole process: loading costs
# up to seconds, and two agents with different options can then generate at the same time.
_loaded: dict[tuple[str, int, int, int], _LoadedModel] = {}
_loaded_lock = threading.Lock()


def clear_model_cache() -> None:
    """Free every loaded model (the next call loads again); not while calls are running."""
    with _loaded_lock:
        for loaded in _loaded.values():
            with loaded.lock:
                loaded.llama.close()
        _loaded.clear()


def _chat_formatter(llama: Llama) -> Any:
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    template = llama.metadata.get("tokenizer.chat_template")
    if not template:
        return None

    def token_text(token: int) -> str:
        if token < 0:
            return ""
        return llama.detokenize([token], special=True).decode("utf-8", errors="replace")

    return Jinja2ChatFormatter(
        template=template,
        eos_token=token_text(llama.token_eos()),
        bos_token=token_text(llama.token_bos()),
    )


def _load(
    model: EmbeddedModel, num_ctx: int, num_gpu: int, n_threads: int
) -> tuple[_LoadedModel, float]:
    """The cached model for these settings and the milliseconds spent loading it (0 if cached)."""
    key = (str(model.path), num_ctx, num_gpu, n_threads)
    with _loaded_lock:
        if key in _loaded:
            return _loaded[key], 0.0
        started = perf_counter()
        try:
            from llama_cpp import Llama

            llama = Llama(
                model_path=str(model.path),
                n_ctx=num_ctx,
                n_gpu_layers=num_gpu,
                n_threads=n_threads,
                n_threads_batch=n_threads,  # llama-cpp-python would use every CPU for the prompt
                verbose=False,
            )
            loaded = _LoadedModel(llama, threading.Lock(), _chat_formatter(llama))
        except Exception as error:  # llama.cpp reports a bad file as ValueError, others vary
            raise BackendError(
                f"embedded model {model.name!r} ({model.path}) could not be loaded: {error}",
                retryable=False,
            ) from error
        if not _loaded:
            # Free models before interpreter shutdown, when llama.cpp's bindings are already gone.
            atexit.register(clear_model_cache)
        _loaded[key] = loaded
        return loaded, (perf_counter() - started) * 1000.0


class EmbeddedBackend:
    """A GGUF model run in-process; `model` is a known name or a .gguf path (see models.py).

    n_threads defaults to every CPU. When two agents generate at once on a small machine, giving
    each half the CPUs keeps llama.cpp's threads from queueing behind each other for the cores.
    """

    name = "embedded"

    def __init__(self, model: str, n_threads: int | None = None) -> None:
        self._model = resolve_model(model)
        self.model = self._model.name
        self.n_threads = n_threads or os.cpu_count() or 1

    def chat(
        self,
        messages: list[dict[str, str]],
        options: ModelOptions,
        json_schema: dict | None = None,
    ) -> Completion:
        started = perf_counter()
        run = effective_options(options)
        loaded, load_ms = _load(self._model, run.num_ctx, run.num_gpu, self.n_threads)
        with loaded.lock:
            return self._generate(loaded, messages, run, json_schema, started, load_ms)

    def _fail(self, cause: str, retryable: bool = False) -> BackendError:
        message = f"embedded model {self.model!r} ({self._model.path}): {cause}"
        return BackendError(message, retryable=retryable)

    def _prompt_tokens(
        self, loaded: _LoadedModel, messages: list[dict[str, str]]
    ) -> tuple[list[int], list[str]]:
        llama = loaded.llama
        if loaded.chat_formatter is None:
            prompt = format_plain_prompt(messages)
            return llama.tokenize(prompt.encode("utf-8"), add_bos=True), PLAIN_STOP
        formatted = loaded.chat_formatter(messages=messages)
        # The template writes the special tokens itself, as llama-cpp-python's chat handler does.
        tokens = llama.tokenize(formatted.prompt.encode("utf-8"), add_bos=False, special=True)
        return tokens, [stop for stop in formatted.stop or [] if stop]

    def _grammar(self, json_schema: dict | None) -> Any:
        if json_schema is None:
            return None
        from llama_cpp import LlamaGrammar

        try:
            return LlamaGrammar.from_json_schema(json.dumps(json_schema), verbose=False)
        except Exception as error:
            raise self._fail(f"JSON schema could not be turned into a grammar: {error}") from error

    def _generate(
        self,
        loaded: _LoadedModel,
        messages: list[dict[str, str]],
        run: ModelOptions,
        json_schema: dict | None,
        started: float,
        load_ms: float,
    ) -> Completion:
        generation_started = perf_counter()
        try:
            tokens, stop = self._prompt_tokens(loaded, messages)
        except Exception as error:  # a template may reject a message sequence
            raise self._fail(f"messages could not be formatted: {error}") from error
        if len(tokens) >= run.num_ctx:
            raise self._fail(f"prompt of {len(tokens)} tokens does not fit num_ctx {run.num_ctx}")
        grammar = self._grammar(json_schema)
        try:
            decoded = decode(loaded.llama, tokens, run, grammar, stop)
        except DecodeError as error:
            raise self._fail(f"generation failed: {error}") from error
        except Exception as error:
            cause = f"generation failed: {type(error).__name__}: {error}"
            raise self._fail(cause, retryable=True) from error
        finished = perf_counter()

        # The token sampled last on "stop" is the end-of-turn token (or the stop text): not output.
        eval_count = max(decoded.sampled - (1 if decoded.done_reason == "stop" else 0), 0)
        first_token_at = decoded.first_token_at or finished
        eval_ms = (finished - first_token_at) * 1000.0
        text = decoded.text
        if loaded.chat_formatter is None:
            # The transcript ends at "Assistant:", so a base model's reply opens with a space.
            text = text.lstrip()
        return Completion(
            text=text,
            backend=self.name,
            model=self.model,
            options=run.to_ollama(),
            ttft_ms=((decoded.first_text_at or finished) - started) * 1000.0,
            tokens_per_s=tokens_per_second(eval_count, eval_ms),
            eval_count=eval_count,
            prompt_eval_count=len(tokens),
            load_ms=load_ms,
            prompt_eval_ms=(first_token_at - generation_started) * 1000.0,
            eval_ms=eval_ms,
            total_ms=(finished - started) * 1000.0,
            done_reason=decoded.done_reason,
        )
