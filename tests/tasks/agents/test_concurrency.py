import pytest

from tasks.agents.concurrency import CONTENTION_RULE, Concurrency, measured_concurrency


def test_speedup_and_efficiency_come_from_the_two_wall_times():
    pair = Concurrency(concurrent_ms=4000.0, sequential_ms=6000.0)

    assert pair.speedup == pytest.approx(1.5)
    assert pair.efficiency == pytest.approx(0.75)


@pytest.mark.parametrize(
    ("concurrent_ms", "sequential_ms", "contended"),
    [
        (5000.0, 9000.0, False),  # 1.8x: the pair overlaps well
        (4000.0, 6000.0, False),  # 1.5x: exactly at the rule's bound
        (4000.0, 5800.0, True),  # 1.45x: less than half the ideal gain
        (8200.0, 7500.0, True),  # slower together than one after the other
    ],
)
def test_contention_follows_the_stated_rule(concurrent_ms, sequential_ms, contended):
    assert Concurrency(concurrent_ms, sequential_ms).contended is contended


def test_the_rule_is_stated_with_its_bound():
    assert "75%" in CONTENTION_RULE and "1.5x" in CONTENTION_RULE


def test_nothing_to_state_without_a_sequential_run_or_a_call():
    assert measured_concurrency(3000.0, None) is None
    assert measured_concurrency(None, None) is None
    assert measured_concurrency(3000.0, 4500.0) == Concurrency(3000.0, 4500.0)
