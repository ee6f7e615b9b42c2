import random
import time

import pytest

from tasks.agents.guard import GuardPolicy, numbers_in_text, untraced_numbers


def _written(text: str) -> list[tuple[float, str]]:
    return [(n.value, n.text) for n in numbers_in_text(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3,503 files", [(3503.0, "3,503")]),
        ("TTFT was 1.62s", [(1.62, "1.62s")]),
        ("at 102.34 tokens/s", [(102.34, "102.34")]),
        ("up +34% and -12.5% down", [(34.0, "+34%"), (-12.5, "-12.5%")]),
        ("load took 7,836.6 ms.", [(7836.6, "7,836.6")]),
        ("a 4k context", [(4000.0, "4k")]),
        ("2.3x faster, ×1.5, 2.3 times", [(2.3, "2.3x"), (1.5, "1.5"), (2.3, "2.3")]),
        ("error rate 1e-3", [(0.001, "1e-3")]),
        ("dated 2025-10-08", [(2025.0, "2025"), (10.0, "10"), (8.0, "08")]),
        ("3-5 runs", [(3.0, "3"), (5.0, "5")]),
        ("**110 tok/s** (45%)", [(110.0, "110"), (45.0, "45%")]),
        ("Throughput:102.3ms", [(102.3, "102.3ms")]),
    ],
)
def test_numbers_are_read_as_written(text, expected):
    assert _written(text) == expected


def test_each_number_knows_where_it_is_and_its_unit():
    text = "Gemma reaches 110 tok/s, TTFT 1.62s and 7,836.6 ms load."

    numbers = numbers_in_text(text)

    assert all(text[n.position :].startswith(n.text) for n in numbers)
    assert [n.display for n in numbers] == ["110 tok/s", "1.62s", "7,836.6 ms"]


@pytest.mark.parametrize(
    "text",
    [
        "1. First item\n2) Second item\n  3. nested item",
        "## 2. Findings\n### 2.1 Throughput",
        "See F012 and F003.",
        "gemma3:270m, llama3.1:8b-instruct-q4_0 and g999_c4096_t0.4 (p50, p95)",
        "Gemma 3 270M beat SmolLM2 135M and Llama 3.1 8B; Mistral 7B and qwen:7b lagged.",
        "prefect 3.8.8 at https://example.org/run42 with /data/run7.csv and 0x1F",
        "three recommendations and two risks",
    ],
)
def test_markers_identifiers_and_model_names_are_not_numbers(text):
    assert numbers_in_text(text) == []


def test_model_name_rule_does_not_hide_a_measurement():
    assert _written("Gemma 3 reaches 12 tok/s") == [(12.0, "12")]


@pytest.mark.parametrize("written", ["238.239", "238.24", "238.2", "238", "240", "-238.24"])
def test_exact_and_rounded_numbers_trace(written):
    # "-238.24" is signed and 238.239 is positive, so only the unsigned forms pass.
    untraced = untraced_numbers(f"mean {written} tok/s", [238.239])
    assert (untraced == []) == (not written.startswith("-"))


@pytest.mark.parametrize("written", ["238.23", "238.3", "239", "200", "0.24", "2382"])
def test_truncations_and_coarse_roundings_do_not_trace(written):
    assert [n.text for n in untraced_numbers(f"mean {written} tok/s", [238.239])] == [written]


def test_small_roundings_stay_within_the_rounding_limit():
    assert untraced_numbers("about 1 s", [0.62]) != []  # 1 for 0.62 is 61 % off
    assert untraced_numbers("about 4 GB", [4.4]) == []  # 9 % off, within 10 %
    strict = GuardPolicy(max_rounding_error=0.05)
    assert untraced_numbers("about 4 GB", [4.4], strict) != []


@pytest.mark.parametrize("written", ["7.8 s", "7.84 s", "8 s", "7,836.6 ms", "7,800 ms"])
def test_seconds_and_milliseconds_are_the_same_fact(written):
    assert untraced_numbers(f"load took {written}", [7836.6]) == []


@pytest.mark.parametrize("written", ["7.9 s", "7.83 s", "7.8"])
def test_scaling_needs_a_time_unit_and_a_true_rounding(written):
    assert untraced_numbers(f"load took {written}", [7836.6]) != []


def test_percentages_trace_to_fractions_and_unsigned_numbers_to_negative_facts():
    assert untraced_numbers("45% of runs", [0.45]) == []
    assert untraced_numbers("throughput fell 12.5%", [-12.5]) == []
    assert untraced_numbers("throughput changed +12.5%", [-12.5]) != []


def test_context_sizes_in_thousands():
    assert untraced_numbers("a 4k and an 8k context", [4096, 8000]) == []
    assert untraced_numbers("a 16k context", [4096, 8000]) != []


CITED = "m1 reaches 102.3 tok/s and m2 76.4 tok/s; "


@pytest.mark.parametrize(
    "derived",
    [
        "a gap of 25.9 tok/s",  # difference
        "m1 is 34% faster",  # change 76.4 -> 102.3
        "m2 is 25% slower",  # change 102.3 -> 76.4
        "m2 reaches 75% of m1",  # share
        "m1 is 1.34x faster",  # ratio
        "m1 is 1.3 times faster",  # ratio, rounded
    ],
)
def test_simple_derivations_of_cited_facts_trace(derived):
    assert untraced_numbers(CITED + derived, [102.3, 76.4, 999.0]) == []


@pytest.mark.parametrize("derived", ["a gap of 27 tok/s", "m1 is 40% faster", "m1 is 1.5x faster"])
def test_wrong_derivations_do_not_trace(derived):
    assert untraced_numbers(CITED + derived, [102.3, 76.4, 999.0]) != []


def test_ratios_do_not_explain_plain_numbers_nor_differences_multipliers():
    assert untraced_numbers(CITED + "ratio 1.34", [102.3, 76.4]) != []
    assert untraced_numbers(CITED + "25.9x more", [102.3, 76.4]) != []


def test_derivations_need_cited_operands_unless_policy_allows_all():
    allowed = [102.3, 76.4]

    assert untraced_numbers("a gap of 25.9 tok/s", allowed) != []
    all_operands = GuardPolicy(derivation_operands="all")
    assert untraced_numbers("a gap of 25.9 tok/s", allowed, all_operands) == []


def test_relative_tolerance_widens_derivations_only():
    text = CITED + "m1 is 35.5% faster"  # the change is 33.9 %
    assert untraced_numbers(text, [102.3, 76.4]) != []
    assert untraced_numbers(text, [102.3, 76.4], GuardPolicy(relative_tolerance=0.06)) == []
    assert untraced_numbers("102.5 tok/s", [102.3], GuardPolicy(relative_tolerance=0.5)) != []


def test_counting_numbers_must_trace_but_list_markers_need_not():
    text = "1. Make 3 recommendations.\n2. Add two risks."

    assert [n.text for n in untraced_numbers(text, [7.0])] == ["3"]
    assert untraced_numbers(text, [3.0]) == []


def test_numbers_too_large_for_a_float_never_trace():
    assert len(untraced_numbers("1" * 400, [1.0, float("inf")])) == 1


def test_unusable_allowed_numbers_are_ignored():
    assert untraced_numbers("12 files", [float("nan"), None, "x", 12]) == []  # type: ignore[list-item]


def test_derivation_search_is_fast_for_200_facts_and_50_numbers():
    rng = random.Random(3)
    allowed = [rng.uniform(1, 9000) for _ in range(200)]
    text = " ".join(
        f"{rng.uniform(1, 300):.1f}%" if i % 2 else f"{rng.uniform(1, 5000):.2f} ms"
        for i in range(50)
    )
    started = time.perf_counter()

    for operands in ("cited", "all"):
        untraced_numbers(text, allowed, GuardPolicy(derivation_operands=operands))

    assert time.perf_counter() - started < 2.0


def test_a_difference_needs_the_text_to_compare():
    cited = "12 runs passed and 9 were retried; "

    assert [n.text for n in untraced_numbers(cited + "recheck in 3 weeks", [12, 9])] == ["3"]
    assert untraced_numbers(cited + "that is 3 more runs than retried", [12, 9]) == []
    assert untraced_numbers(cited + "a change of +3", [12, 9]) == []


def test_written_decimals_trace_by_their_precision_whole_numbers_by_the_bound():
    # A standard deviation of 0.0153 rendered with two decimals is 0.02, a correct rounding.
    assert untraced_numbers("SD 0.02 tok/s", [0.0153], GuardPolicy()) == []
    assert [n.text for n in untraced_numbers("SD 0.03 tok/s", [0.0153], GuardPolicy())] == ["0.03"]
    # A whole number still has to be close in relative terms: 200 is not 238.
    assert [n.text for n in untraced_numbers("about 200 tok/s", [238.239], GuardPolicy())] == [
        "200"
    ]
