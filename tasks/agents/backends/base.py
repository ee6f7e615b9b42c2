"""The one interface every LLM backend implements, and what a call returns.

In: chat messages ({"role", "content"}), ModelOptions, optionally a JSON schema the reply must
follow. Out: a Completion carrying the text and Ollama-style timings in milliseconds, or a
BackendError naming where (host or model file), which model and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from tasks.agents.options import ModelOptions


@dataclass(frozen=True)
class Completion:
    """One finished chat call: the reply and how long each phase took.

    Times are milliseconds from the start of the call; ttft_ms and total_ms include load_ms
    when the call had to load the model, as Ollama's timings do.
    """

    text: str
    backend: str  # "ollama" | "embedded"
    model: str
    options: dict  # the options the call ran with, under Ollama's names
    ttft_ms: float  # time to the first non-empty piece of text
    tokens_per_s: float  # eval_count / eval_ms
    eval_count: int  # tokens generated
    prompt_eval_count: int  # prompt tokens evaluated
    load_ms: float  # 0 when the model was already loaded
    prompt_eval_ms: float
    eval_ms: float
    total_ms: float
    done_reason: str  # "stop" (the model finished) | "length" (num_predict reached)


@runtime_checkable
class ChatBackend(Protocol):
    """A chat model behind one synchronous call; safe to call from several threads."""

    name: str  # "ollama" | "embedded"
    model: str

    def chat(
        self,
        messages: list[dict[str, str]],
        options: ModelOptions,
        json_schema: dict | None = None,
    ) -> Completion: ...


class BackendError(RuntimeError):
    """A call that could not be made or did not finish; the message says where, which model, why.

    `retryable` is False when trying again cannot help (model missing, prompt too long, bad
    schema or model file), True for a server or connection that may recover.
    """

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


class ModelChoiceError(BackendError):
    """The model asked for does not exist where it was asked for (a usage error, not an outage)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False)


def tokens_per_second(eval_count: int, eval_ms: float) -> float:
    """Generation speed; 0 when nothing was generated or no time was measured."""
    if eval_count <= 0 or eval_ms <= 0:
        return 0.0
    return eval_count / (eval_ms / 1000.0)
