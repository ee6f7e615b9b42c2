"""A history measurement per key: the first of the rows that repeat one."""

import polars as pl

from tasks.history.fingerprint import first_of_each_key


def test_only_the_first_row_of_each_key_counts_nulls_alike() -> None:
    keys = pl.DataFrame(
        {
            "sha256": ["f1", "f1", "f2", "f1", None, None, "f1"],
            "locator": ["row 1", "row 1", "row 1", "row 2", None, None, "row 1"],
            "statistic": pl.Series(["p50", "p50", "p50", "p50", None, None, "p99"]),
        }
    )

    assert first_of_each_key(keys).to_list() == [True, False, True, True, True, False, True]


def test_rows_that_all_differ_are_all_first() -> None:
    keys = pl.DataFrame({"sha256": ["a"] * 1000, "locator": [f"row {i}" for i in range(1000)]})

    assert first_of_each_key(keys).all()
    assert first_of_each_key(keys.head(0)).len() == 0
