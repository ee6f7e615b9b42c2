import pytest

from tasks.agents.guard import GuardPolicy, language_problems
from tasks.agents.guard.language import repeated_ngram_share


def _reasons(text: str, policy: GuardPolicy | None = None) -> list[str]:
    policy = policy or GuardPolicy()
    problems = language_problems(
        text, policy.max_repeated_ngram_share, policy.repetition_ngram_words
    )
    return [f"summary: {problem}" for problem in problems]


@pytest.mark.parametrize(
    ("text", "script"),
    [
        ("The model is fast. 模型很快。", "CJK"),
        ("The model is fast. โมเดลเร็ว", "Thai"),
        ("The model is fast. Модель быстрая.", "Cyrillic"),
        ("The model is fast. النموذج سريع", "Arabic"),
        ("The model is fast. मॉडल तेज़ है", "Devanagari"),
        ("The model is fast. モデルは速い", "Japanese kana"),
        ("The model is fast. 모델이 빠르다", "Hangul"),
        ("The model is fast. Το μοντέλο είναι γρήγορο", "Greek"),
    ],
)
def test_other_scripts_are_rejected_by_name(text, script):
    reasons = _reasons(text)

    assert any(r.startswith(f"summary: non-Latin script ({script}): ") for r in reasons), reasons


def test_latin_text_with_accents_symbols_and_markdown_is_fine():
    text = (
        "## Café naïve résumé\n"
        "- Δ latency is ±5 µs → small; μs jitter ≈ 0 at 5 °C – fine — really… ✅\n"
        "| Risk | Mitigation |\n|---|---|\n| **High** σ | Use `num_ctx` — “quoted” ‘text’ |"
    )
    assert _reasons(text.replace("5", "five").replace("0", "zero")) == []


def test_non_ascii_digits_and_full_width_forms_are_rejected():
    assert any("non-Latin script (Arabic)" in r for r in _reasons("It took ٣ seconds to load."))
    assert any("full-width" in r for r in _reasons("The model ＦＡＳＴ is fine to use."))


@pytest.mark.parametrize(
    "token",
    [
        "<unused1933>",
        "<start_of_turn>",
        "<end_of_turn>",
        "<|im_start|>",
        "<|endoftext|>",
        "<s>",
        "</s>",
        "[INST]",
        "<pad>",
        "<0x0A>",
        "<|eot_id|>",
        "<<SYS>>",
    ],
)
def test_special_tokens_are_garbage(token):
    assert f"summary: garbage token {token}" in _reasons(f"The model is fast {token} overall.")


def test_html_like_markdown_is_not_garbage():
    assert _reasons("The model is fast<br>and stable, see <details>more</details> here.") == []


@pytest.mark.parametrize("character", ["\u200b", "\u202e", "\ufffd", "\x00", "\ue000", "\ud800"])
def test_invisible_broken_and_private_characters_are_rejected(character):
    reasons = _reasons(f"The model is{character} fast overall.")

    assert any(f"U+{ord(character):04X}" in r for r in reasons), reasons
    assert all(r.encode("utf-8") for r in reasons)  # printable, storable reasons


def test_a_sentence_looping_is_degenerate_repetition():
    loop = "The model is fast and stable on this machine. " * 5

    reasons = _reasons(loop)

    assert len(reasons) == 1
    assert reasons[0].startswith("summary: degenerate repetition (")
    assert reasons[0].endswith('"the model is fast and stable"')


def test_ordinary_prose_and_templated_findings_are_not_repetition():
    prose = (
        "The model m1 has a mean throughput of fifty tokens per second with context A. "
        "The model m1 has a mean throughput of sixty tokens per second with context B. "
        "The model m2 has a mean throughput of forty tokens per second with context A. "
        "Time to first token stays low for both models when the prompt is short."
    )
    assert _reasons(prose) == []


def test_repetition_threshold_is_the_policy_maximum():
    text = "Use a smaller context for speed. " * 2 + "Then measure again with real prompts."
    share, top = repeated_ngram_share(text, 6)

    assert share == pytest.approx(1 / 13)  # 13 six-word sequences, one repeats
    assert top == "use a smaller context for speed"
    assert _reasons(text, GuardPolicy(max_repeated_ngram_share=0.05)) != []
    assert _reasons(text, GuardPolicy(max_repeated_ngram_share=0.1)) == []


def test_a_character_run_is_degenerate_but_markdown_rules_are_not():
    assert any("one character repeated" in r for r in _reasons("Fast!!!!!!!!!!!!!!!!!!!!!!!!"))
    assert _reasons("The model is fast.\n\n------------------------------\n\nIt is stable.") == []
