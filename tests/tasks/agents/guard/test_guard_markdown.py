import pytest

from tasks.agents.guard import GuardPolicy, check_draft


def _reasons(sections: dict[str, str], required=("summary",), policy=None) -> list[str]:
    return list(check_draft(sections, [], list(required), policy or GuardPolicy()).reasons)


def test_required_sections_are_matched_case_insensitively():
    sections = {"Executive_Summary": "The model is fast.", "RISKS": "Memory may run out."}

    assert _reasons(sections, required=["executive summary", "risks"]) == []


def test_missing_and_empty_required_sections_are_named():
    sections = {"summary": "  \n**  **\n---", "risks": "Memory may run out."}

    reasons = _reasons(sections, required=["summary", "recommendations", "risks"])

    assert reasons == [
        "summary: required section is empty",
        "recommendations: required section is missing",
    ]


def test_a_section_that_is_not_text_is_rejected_not_crashed_on():
    assert _reasons({"summary": None}) == [  # type: ignore[dict-item]
        "summary: section is not text but NoneType",
        "summary: required section is empty",
    ]


@pytest.mark.parametrize(
    ("item", "why"),
    [
        ("- Key Performance Findings**", "ends with an unclosed **"),
        ("1. **Key Findings**", "is a bold label alone"),
        ("* **Recommendations:**", "is a bold label alone"),
        ("- The main findings are:", "ends with ':'"),
        ("2) Use batching", "has 2 words, fewer than 3"),
        ("- Key Performance Findings For Small Models", "is a Title Case phrase without a verb"),
    ],
)
def test_heading_fragments_in_lists_are_not_findings(item, why):
    reasons = _reasons({"summary": f"The model is fast.\n{item}"})

    fragment = item.split(" ", 1)[1]
    assert reasons == [f'summary: list item {why}, not a finding: "{fragment}"']


@pytest.mark.parametrize(
    "item",
    [
        "- Keep the default context for short prompts.",
        "1. **Throughput:** the model leads on every prompt.",
        "- Use Smaller Models For Chat",  # Title Case, but it has a verb
        "- CSV files dominate",
        "- [x] Rerun the failed sweeps",
    ],
)
def test_sentences_in_lists_are_findings(item):
    assert _reasons({"summary": item}) == []


def test_minimum_words_per_finding_comes_from_the_policy():
    text = "- Rerun failed sweeps"

    assert _reasons({"summary": text}) == []
    assert _reasons({"summary": text}, policy=GuardPolicy(min_words_per_finding=5)) == [
        'summary: list item has 3 words, fewer than 5, not a finding: "Rerun failed sweeps"'
    ]


def test_a_risk_table_with_short_labels_is_fine():
    table = (
        "| Risk | Mitigation |\n"
        "|---|:---:|\n"
        "| Context overflow | Keep prompts short and check the context size. |\n"
        "| **High** memory use | Run one model at a time. |"
    )
    assert _reasons({"risks": table}, required=["risks"]) == []


def test_heading_fragments_in_table_cells_are_rejected():
    table = "| Risk | Mitigation |\n|---|---|\n| Key Findings** | Memory: |"

    assert _reasons({"risks": table}, required=["risks"]) == [
        'risks: table cell ends with an unclosed **: "Key Findings**"',
        "risks: table cell ends with ':': \"Memory:\"",
    ]


def test_an_unclosed_bold_line_outside_lists_is_a_fragment_but_bold_words_are_not():
    assert _reasons({"summary": "Key Performance Findings**\nThe model is fast."}) == [
        'summary: line ends with an unclosed **, a heading fragment: "Key Performance Findings**"'
    ]
    assert _reasons({"summary": "**Summary**\nThe model is **fast**"}) == []


def test_horizontal_rules_are_not_list_items():
    assert _reasons({"summary": "The model is fast.\n* * *\n---\nIt is stable."}) == []
