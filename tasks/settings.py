"""Settings read from the environment, in one place (pydantic-settings, prefix CHIMERA_).

Read when needed (`settings()`), not at import, so a test or a worker that sets a variable sees
it. OLLAMA_HOST keeps the name the ollama CLI and client read; CHIMERA_OLLAMA_HOST wins over it.
"""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from tasks.choices import ParseRunner

DEFAULT_OLLAMA_HOST = "http://127.0.0.1:11434"


class ChimeraSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CHIMERA_", extra="ignore")

    ollama_host: str = Field(
        default=DEFAULT_OLLAMA_HOST,
        validation_alias=AliasChoices("CHIMERA_OLLAMA_HOST", "OLLAMA_HOST"),
        description="the Ollama server the ollama backend (and auto) asks",
    )
    agent_budget_s: float = Field(
        default=600.0,
        gt=0,
        description="how long one agent may wait on the Ollama server in all, over its retries",
    )
    record_replies: str | None = Field(
        default=None,
        description="a JSON Lines file each model reply is appended to, for --backend replay",
    )
    parse_runner: ParseRunner | None = Field(
        default=None,
        description="where a big pile's parse batches run: workers (processes of our own, the "
        "default), process (Prefect's process pool) or dask (a Dask cluster)",
    )
    dask_address: str | None = Field(
        default=None,
        description="a Dask scheduler (tcp://host:8786) to parse on; implies parse_runner=dask",
    )
    local_server: bool = Field(
        default=True,
        description="with PREFECT_API_URL unset, report to the Prefect server `chimera server "
        "start` left running when it answers, instead of starting a temporary one",
    )
    crash_at: str | None = Field(
        default=None, description="a named point where the run kills itself (tests only)"
    )
    history_dir: str | None = Field(
        default=None,
        description="the history store every run appends to (a team points all runs at one "
        "folder); unset: OUT/history",
    )


def settings() -> ChimeraSettings:
    """The settings as the environment has them now."""
    return ChimeraSettings()
