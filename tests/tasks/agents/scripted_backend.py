"""A scripted chat backend for unit tests of the code around the LLM (never used by the product)."""

from __future__ import annotations

from tasks.agents.backends.base import Completion
from tasks.agents.options import ModelOptions


class ScriptedBackend:
    name = "scripted"
    model = "scripted-model"

    def __init__(self, replies: list[str]) -> None:
        self.replies = list(replies)
        self.calls: list[tuple[list[dict], ModelOptions, dict | None]] = []

    def chat(self, messages, options, json_schema=None) -> Completion:
        self.calls.append((messages, options, json_schema))
        text = self.replies[min(len(self.calls), len(self.replies)) - 1]
        return Completion(
            text=text,
            backend=self.name,
            model=self.model,
            options=options.to_ollama(),
            ttft_ms=12.0,
            tokens_per_s=50.0,
            eval_count=20,
            prompt_eval_count=300,
            load_ms=0.0,
            prompt_eval_ms=10.0,
            eval_ms=400.0,
            total_ms=412.0,
            done_reason="stop",
        )
