"""Model options an agent call is made with, under Ollama's option names.

In: whatever the scenario or the user sets. Out: `to_ollama()`, the dict sent as Ollama's
`options` (only the fields that are set, so the server keeps its own defaults for the rest);
the embedded backend maps the same fields onto llama.cpp.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ModelOptions(BaseModel):
    """Ollama's option names; None means "the backend's default"."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    num_gpu: int | None = Field(
        default=None, ge=-1, description="Layers to offload to the GPU; 0 = CPU only, -1 = all."
    )
    num_ctx: int | None = Field(default=None, ge=1, description="Context window in tokens.")
    temperature: float | None = Field(
        default=None, ge=0.0, description="Sampling temperature; 0 = greedy."
    )
    top_p: float | None = Field(default=None, gt=0.0, le=1.0, description="Nucleus sampling.")
    top_k: int | None = Field(default=None, ge=0, description="Top-k sampling; 0 = off.")
    repeat_penalty: float | None = Field(
        default=None, ge=0.0, description="Penalty for repeating recent tokens; 1 = off."
    )
    seed: int | None = Field(default=None, description="Sampling seed, for repeatable runs.")
    num_predict: int | None = Field(
        default=None, ge=-2, description="Most tokens to generate; -1 = until the model stops."
    )

    def to_ollama(self) -> dict:
        """The set fields only, as Ollama's `options` object."""
        return self.model_dump(exclude_none=True)
