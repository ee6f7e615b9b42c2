"""Who a model is: a normalised identity from a name as files write it.

In: a model name ("llama3.1:8b-instruct-q4_0", "llama3.1:q4_0", "Qwen/Qwen3-4B-Thinking-2507",
"llama 7B Q4_0", "gpt-oss-20b-mxfp4.gguf", "meta.llama2-13b-chat-v1") or a file path.
Out: a `ModelIdentity`: family, parameter count, variant (instruct, base, chat, thinking...),
quantization, and `model_id`, built from them, so the name variants of one model group
together. `model_in_path` finds a model named in a file or folder name
("gemma3_270m_param_tuning.csv" -> "gemma3:270m").
"""

from __future__ import annotations

import functools
import re
from typing import NamedTuple


class ModelIdentity(NamedTuple):
    model_id: str
    family: str
    params: str | None  # "8b", "270m", "1.5b"
    variant: str | None
    quant: str | None


_PARAMS = re.compile(r"^(?:\d+x)?\d+(?:\.\d+)?[bm]$")
_QUANT = re.compile(
    r"^(?:i?q\d(?:_[0-9a-z]+)*|f16|fp16|bf16|f32|fp32|fp8|fp4|int8|int4|w4a16|w8a8|awq|gptq|"
    r"mxfp4|nvfp4|qat|gguf)$"
)
# Words of a name that say which variant of a model it is -> one spelling.
_VARIANTS = {
    "instruct": "instruct",
    "it": "instruct",
    "chat": "chat",
    "text": "base",
    "base": "base",
    "thinking": "thinking",
    "coder": "coder",
    "vision": "vision",
}
# A version ("3.1", "-2"), but not a parameter count: "opt-125m" is opt, 125m; "mixtral-8x7b"
# is mixtral, 8x7b.
_VERSION = r"\d+(?:\.\d+)?(?![\d.]*(?:x\d+(?:\.\d+)?)?[bm](?:[^a-z]|$))"
# Model families, for names in paths: a family name alone ("gemma3_baseline.csv") names a model.
_FAMILY = (
    r"(?:llama|codellama|tinyllama|gemma|qwen|qwq|mistral|mixtral|ministral|phi|deepseek|smollm|"
    r"granite|falcon|olmo|opt|gpt-oss|command-r|starcoder|yi|internlm|glm|nemotron|exaone)"
    rf"(?:[-\s]?{_VERSION})?"
)
# The size a family's models come in, when a name says it with a word: phi4-mini (3.8b) is
# not phi4 (14b), nor mistral-small mistral. It belongs to the family, as in Ollama's
# "phi4-mini" and "mistral-small3.1"; a version may follow it ("Mistral-Small-3.1").
_SIZE_CLASSES = frozenset({"mini", "small", "medium", "large"})
_SIZE_CLASS = rf"(?:[-_](?:{'|'.join(sorted(_SIZE_CLASSES))})(?:[-_]?{_VERSION})?)?"
_PATH_MODEL = re.compile(
    rf"(?<![a-z0-9])(?P<family>{_FAMILY}{_SIZE_CLASS})"
    # llama.cpp's tools are no model: "llama-bench/", "llama.cpp/", "llama_cpp_runs/"
    r"(?![-_.](?:bench|server|cli|cpp|swap)(?![a-z0-9]))"
    r"(?:[-_:.](?P<params>(?:\d+x)?\d+(?:\.\d+)?[bm]))?"
    r"(?P<rest>(?:[-_](?:it|instruct|chat|text|base|qat|i?q\d(?:_(?:\d|k|m|s|l|xs|xxs|xl))*|fp16|bf16|fp8))*)"
    r"(?![a-z0-9])"
)
# An organisation before the name: "Qwen/", Bedrock's "meta.", and the "Meta-" of Hugging
# Face's "Meta-Llama-3.1-8B-Instruct" (a llama3.1, as Ollama's llama3.1:8b-instruct is).
_ORG_PREFIX = re.compile(
    r"^(?:[\w.-]+/)*(?:(?:meta|amazon|anthropic|mistral|cohere)\.|meta[-_](?=llama))?",
    re.IGNORECASE,
)
# Amazon Bedrock's model ids write a version's dot as a dash: meta.llama3-1-8b-instruct-v1:0
_BEDROCK = re.compile(r"^(?:meta|amazon|anthropic|mistral|cohere)\.", re.IGNORECASE)
_DASHED_VERSION = re.compile(r"^([a-z]+\d+)-(\d)(?=-)")
_FTYPE_SIZE = re.compile(r"\b(i?q\d_k)\s*-\s*(medium|small|large)\b")
_FTYPE_BPW = re.compile(r"\s*-\s*\d+(?:\.\d+)?\s*bpw\b")
_GGUF_WORD = re.compile(r"[-_.]gguf(?=[-_:.]|$)")
_SPLIT = re.compile(r"[-_\s:]+|(?<!\d)\.|\.(?!\d)")  # "1.5b" keeps its dot


@functools.lru_cache(maxsize=4096)
def model_identity(raw: str) -> ModelIdentity | None:
    """The identity of a model name; None for an empty one."""
    name = raw.strip()
    if not name:
        return None
    name = re.sub(r"\.gguf$", "", name, flags=re.IGNORECASE)
    bedrock = _BEDROCK.match(name) is not None
    name = _ORG_PREFIX.sub("", name).lower()
    if bedrock:  # llama3-1 is llama3.1, not llama3
        name = _DASHED_VERSION.sub(r"\1.\2", name)
    # llama.cpp's own names of its quantizations (llama-bench's model_type, "llama 8B Q4_K -
    # Medium"): the Q4_K_M the files and Ollama's tags say.
    name = _FTYPE_SIZE.sub(lambda m: f"{m[1]}_{m[2][0]}", _FTYPE_BPW.sub("", name))
    name = _GGUF_WORD.sub("", name)  # a GGUF repository's name: "Llama-3.2-3B-Instruct-GGUF"
    ollama = re.fullmatch(r"([a-z][\w.\-]*):([\w.\-]+)", name)
    if ollama and any(_PARAMS.match(token) for token in _SPLIT.split(ollama[1])):
        # Ollama's pull of a Hugging Face repository, hf.co/<user>/<repo>:<quant>: the size is
        # in the repository's name, the tag is the quantization.
        ollama, name = None, name.replace(":", "-")
    if ollama:
        family, tokens = ollama[1], _SPLIT.split(ollama[2])
    else:
        family, tokens = _split_family(name)
    family, tokens = _with_size_class(family, tokens)
    params = variant = quant = None
    rest: list[str] = []
    for at, token in enumerate(tokens):
        if params is None and _PARAMS.match(token):
            params = token
        elif token in _VARIANTS and variant is None:
            variant = _VARIANTS[token]
        elif quant is None and _QUANT.match(token):
            # "q4_K_M" split on "_" -> rejoin the quant's own parts
            joined = "_".join([token, *_quant_tail(tokens[at + 1 :])])
            quant = joined
        elif token and not _is_quant_tail(token, tokens[:at]) and token != "latest":
            rest.append(token)
    if ollama and variant is None and params is not None:
        variant = "instruct"  # Ollama's tags without "text" are the instruction-tuned models
    family = re.sub(r"[-\s](?=\d)", "", family)  # llama-2, "llama 2" -> llama2
    parts = "-".join(p for p in (params, variant, *rest, quant) if p)
    if not parts and (ollama or re.fullmatch(_FAMILY + _SIZE_CLASS, family)):
        # A model without a tag is Ollama's ":latest" ("gemma3" and "gemma3:latest" are one).
        parts = "latest"
    return ModelIdentity(f"{family}:{parts}" if parts else family, family, params, variant, quant)


def _split_family(name: str) -> tuple[str, list[str]]:
    """ "gpt-oss-20b-mxfp4" -> ("gpt-oss", [20b, mxfp4]); "llama 7b q4_0" -> ("llama", ...)."""
    family = re.match(_FAMILY, name)
    if family:
        return family.group(0), [t for t in _SPLIT.split(name[family.end() :]) if t]
    tokens = [t for t in _SPLIT.split(name) if t]
    head: list[str] = []
    while tokens and not _PARAMS.match(tokens[0]) and tokens[0] not in _VARIANTS:
        head.append(tokens.pop(0))
        if len(head) >= 2:
            break
    return "-".join(head) or name, tokens


def _with_size_class(family: str, tokens: list[str]) -> tuple[str, list[str]]:
    """The family with the size word its name or tag gives ("phi3:mini", "Phi-3-mini-4k",
    "phi3:14b-medium-4k" -> phi3-mini, phi3-mini, phi3-medium) and the version that may follow
    the word ("Mistral-Small-3.1-24B" -> mistral-small3.1); the other tokens."""
    at = next((i for i, token in enumerate(tokens) if token in _SIZE_CLASSES), None)
    if at is None or any(word in family.split("-") for word in _SIZE_CLASSES):
        return family, tokens
    family = f"{family}-{tokens[at]}"
    rest = tokens[:at] + tokens[at + 1 :]
    version = tokens[at + 1] if at + 1 < len(tokens) else ""
    if re.fullmatch(r"\d+(?:\.\d+)?", version):
        family += version
        rest = tokens[:at] + tokens[at + 2 :]
    return family, rest


def _quant_tail(tokens: list[str]) -> list[str]:
    tail = []
    for token in tokens:
        if re.fullmatch(r"[0-9]|[a-z]|k|m|s|l|xs|xxs|xl", token):
            tail.append(token)
        else:
            break
    return tail


def _is_quant_tail(token: str, before: list[str]) -> bool:
    if not before:
        return False
    joined = "_".join(before)
    return bool(re.search(r"(?:^|_)i?q\d(?:_[0-9a-z]+)*$", joined)) and bool(
        re.fullmatch(r"[0-9]|[a-z]|k|m|s|l|xs|xxs|xl", token)
    )


def model_in_path(path: str) -> str | None:
    """A model named in a path's file or folder names, nearest the file first, written as an
    Ollama reference ("gemma3:270m", "gemma3:1b-it-qat", "gemma3"); None when none is."""
    for name in reversed(path.split("/")):
        model = _model_in_name(name)
        if model is not None:
            return model
    return None


_EXTENSION = re.compile(r"\.(?!cpp$)[a-z][a-z0-9]{0,9}$")  # "llama.cpp" names a project


# Per name, not per path: a pile repeats its folder and file names far more than its paths
# (the generated 100,000-file pile: 58,353 folders made of 8,360 names).
@functools.lru_cache(maxsize=65536)
def _model_in_name(name: str) -> str | None:
    # Without a file's extension; a version's dot stays: "qwen2.5-7b" is no "qwen2" file.
    stem = _EXTENSION.sub("", name.lower())
    # The most telling mention: "qwen_qwen2.5-7b-instruct" (a Hugging Face name with its
    # organisation) names qwen2.5, 7b, not the organisation's "qwen".
    matches = list(_PATH_MODEL.finditer(stem))
    if not matches:
        return None
    match = next((m for m in matches if m["params"]), matches[0])
    family = match["family"]
    tag = "-".join(t for t in (match["params"], match["rest"].strip("-_")) if t)
    return f"{family}:{tag}" if tag else family
