"""Is a section written in the configured language, free of model garbage and loops?

In: one section's text. Out: problems as (short description, offending text) pairs, empty when the
text is clean. English means Latin script: letters must be Latin (accents included); digits,
punctuation, Markdown and symbols (%, ±, →, °, –, —, …, emoji) are fine; isolated Greek letters
are allowed as symbols (μs, Δ, σ), a Greek word is not. Any other script (CJK, Thai, Cyrillic,
Arabic, Devanagari, ...) is rejected, as are non-ASCII digits, full-width forms, control and
zero-width characters, private-use code points and U+FFFD (a broken decode).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

# Chat-template and tokenizer tokens that leak into the text of weak or misconfigured models.
GARBAGE_TOKEN = re.compile(
    r"<\|[^|<>\n]{0,40}\|>"  # <|im_start|>, <|endoftext|>, <|eot_id|>
    r"|<unused\d+>|<0x[0-9A-Fa-f]{2}>"  # Gemma's unused ids, SentencePiece byte fallback
    r"|</?(?:s|pad|unk|eos|bos|mask|sep|cls|eot|think)>"
    r"|</?[A-Za-z]+(?:_[A-Za-z0-9]+)+>"  # <start_of_turn>, <end_of_turn>, <extra_id_0>
    r"|\[/?INST\]|<</?SYS>>|\[(?:PAD|UNK|CLS|SEP|MASK)\]"
    r"|▁|Ġ(?=\w)|Ċ",  # tokenizer word and newline markers left undecoded
    re.IGNORECASE,
)
# The same character 20+ times ("aaaa…", "!!!!…"), except Markdown rules and table borders.
_CHARACTER_RUN = re.compile(r"([^\s\-=_*#~`|:+])\1{19,}")
_WORD = re.compile(r"[^\W_]+")

_ALLOWED_LETTER_NAMES = (
    "LATIN ",
    "COMBINING ",
    "MODIFIER LETTER ",
    "MICRO SIGN",
    "FEMININE ORDINAL",
    "MASCULINE ORDINAL",
)
# Punctuation and symbols that belong to another script's typography.
_FOREIGN_SYMBOL_NAMES = (
    "CJK ",
    "IDEOGRAPHIC ",
    "FULLWIDTH ",
    "HALFWIDTH ",
    "HIRAGANA",
    "KATAKANA",
    "ARABIC",
    "HEBREW",
    "DEVANAGARI",
    "THAI ",
)
_SCRIPT_WORDS = {
    "CJK": "CJK",
    "IDEOGRAPHIC": "CJK",
    "FULLWIDTH": "CJK full-width forms",
    "HALFWIDTH": "CJK half-width forms",
    "HIRAGANA": "Japanese kana",
    "KATAKANA": "Japanese kana",
    "HANGUL": "Hangul",
    "ARABIC-INDIC": "Arabic",
    "EXTENDED": "Arabic",
}


def _script(name: str) -> str:
    first = name.split(" ", 1)[0] if name else ""
    return _SCRIPT_WORDS.get(first, first.title() or "unnamed characters")


def _is_greek_letter(ch: str) -> bool:
    return unicodedata.category(ch).startswith("L") and unicodedata.name(ch, "").startswith(
        "GREEK "
    )


def _excerpt(text: str, start: int, limit: int = 24) -> str:
    piece = " ".join(text[start : start + limit * 4].split())
    return piece if len(piece) <= limit else piece[: limit - 1] + "…"


def script_problems(text: str) -> list[tuple[str, str]]:
    """Foreign scripts (one problem per script, first occurrence) and invalid characters."""
    if text.isascii():
        controls = re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text)
        if controls:
            return [(f"invalid character U+{ord(controls.group()):04X}", "")]
        return []
    scripts: dict[str, int] = {}
    invalid: dict[str, str] = {}
    for i, ch in enumerate(text):
        if ch < "\x80":
            if ch >= " " and ch != "\x7f" or ch in "\t\n\r":
                continue
            invalid.setdefault(f"U+{ord(ch):04X}", "control character")
            continue
        category = unicodedata.category(ch)
        if category[0] == "C" or ch == "\ufffd":
            description = {"Cf": "invisible format character", "Co": "private-use character",
                           "Cs": "lone surrogate", "Cn": "unassigned code point"}.get(
                category, "replacement character (broken decode)" if ch == "\ufffd" else
                "control character")  # fmt: skip
            invalid.setdefault(f"U+{ord(ch):04X}", description)
            continue
        name = unicodedata.name(ch, "")
        if category[0] in "LM":
            if name.startswith(_ALLOWED_LETTER_NAMES):
                continue
            if name.startswith("GREEK ") and not any(
                0 <= j < len(text) and _is_greek_letter(text[j]) for j in (i - 1, i + 1)
            ):
                continue  # a lone Greek letter is a symbol: μs, Δ, σ
            scripts.setdefault(_script(name), i)
        elif category == "Nd" or (category[0] in "PS" and name.startswith(_FOREIGN_SYMBOL_NAMES)):
            scripts.setdefault(_script(name), i)
    problems = [
        (f"non-Latin script ({script})", _excerpt(text, start)) for script, start in scripts.items()
    ]
    problems += [
        (f"invalid character {code} ({description})", "") for code, description in invalid.items()
    ]
    return problems


def garbage_tokens(text: str) -> list[str]:
    """Special tokens found in the text, each once, in order of first appearance."""
    return list(dict.fromkeys(m.group() for m in GARBAGE_TOKEN.finditer(text)))


def repeated_ngram_share(text: str, n: int) -> tuple[float, str]:
    """Share of the text's word n-grams that repeat an earlier one, and the most repeated one."""
    words = _WORD.findall(text.casefold())
    if len(words) < n:
        return 0.0, ""
    grams = Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))
    total = len(words) - n + 1
    repeats = total - len(grams)
    if not repeats:
        return 0.0, ""
    (top, _), *_ = grams.most_common(1)
    return repeats / total, " ".join(top)


def repetition_problems(text: str, max_share: float, n: int) -> list[tuple[str, str]]:
    """Degenerate repetition: too many repeated n-grams, or one character repeated 20+ times."""
    problems = []
    share, top = repeated_ngram_share(text, n)
    if share > max_share:
        problems.append(
            (f"degenerate repetition ({share:.0%} of its {n}-word sequences repeat, "
             f"at most {max_share:.0%} allowed)", top)
        )  # fmt: skip
    run = _CHARACTER_RUN.search(text)
    if run:
        problems.append(("degenerate repetition (one character repeated)", run.group()[:24]))
    return problems


def language_problems(text: str, max_repeated_share: float = 0.4, ngram: int = 6) -> list[str]:
    """Every problem of the text as one line each: garbage tokens, other scripts, loops."""
    problems = [f"garbage token {token}" for token in garbage_tokens(text)]
    problems += [
        why + (f': "{excerpt}"' if excerpt else "") for why, excerpt in script_problems(text)
    ]
    problems += [
        f'{why}: "{excerpt}"'
        for why, excerpt in repetition_problems(text, max_repeated_share, ngram)
    ]
    return problems
