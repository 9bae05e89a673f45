"""Column profiles and charts of the reference engine, on small frames with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd

from recomart_assets.quality.engines.profiling import (
    CASE_COLLISIONS,
    add_field_name_checks,
    chart_label,
    column_profile,
    counts,
    distributions,
    histogram,
    per_hour,
    profile_columns,
    value_counts,
)
from recomart_assets.quality.rules.checks import CheckResult, DatasetValidation


def test_value_counts_put_ties_in_order_of_first_appearance():
    counted = value_counts(pd.Series(["b", "a", "c", "a", None, "c", "b", "d"]))
    assert list(counted.items()) == [("b", 2), ("a", 2), ("c", 2), ("d", 1)]


def test_a_parsed_column_gets_min_and_max_and_counts_on_the_text():
    raw = pd.Series(["3", "1", None, "1.0", "x"], dtype="string")
    parsed = pd.to_numeric(raw, errors="coerce")
    profile = column_profile(raw, parsed)
    assert profile == {"null_count": 1, "null_share": 0.2, "distinct_count": 4, "min": 1.0, "max": 3.0}
    assert isinstance(profile["min"], float)


def test_a_text_column_gets_its_top_values_when_some_repeat():
    raw = pd.Series(["web", "ios", "web", None], dtype="string")
    assert column_profile(raw, raw)["top_values"] == [{"value": "web", "count": 2}, {"value": "ios", "count": 1}]
    unique = pd.Series(["a", "b"], dtype="string")
    assert "top_values" not in column_profile(unique, unique)
    frame = pd.DataFrame({1: unique})
    assert list(profile_columns(frame, frame)) == ["1"]


def test_histogram_has_twenty_equal_bins_over_the_finite_values():
    chart = histogram(pd.Series([0.0, 10.0, 5.0, np.inf, None]))
    assert chart["edges"][0] == 0.0 and chart["edges"][-1] == 10.0 and len(chart["edges"]) == 21
    assert chart["counts"][0] == 1 and chart["counts"][10] == 1 and chart["counts"][-1] == 1 and sum(chart["counts"]) == 3
    assert histogram(pd.Series([np.nan, np.inf])) == {"kind": "histogram", "edges": [], "counts": []}


def test_counts_and_hours_show_every_ordered_category():
    assert chart_label(4.0) == "4" and chart_label(4.5) == "4.5" and chart_label("x") == "x"
    assert counts(pd.Series([5.0, 1.0, 5.0]), order=[1.0, 2.0, 5.0]) == {
        "kind": "counts", "labels": ["1", "2", "5"], "values": [1, 0, 2]}
    assert counts(pd.Series(list("abcabca")), top=2) == {"kind": "counts", "labels": ["a", "b"], "values": [3, 2]}
    stamps = pd.to_datetime(pd.Series(["2026-01-05T23:10:00Z", "2026-01-05T23:50:00Z", None]), utc=True)
    hourly = per_hour(stamps)
    assert hourly["labels"] == [str(h) for h in range(24)]
    assert hourly["values"][23] == 2 and sum(hourly["values"]) == 2


def test_distributions_follow_the_datasets_charts():
    parsed = pd.DataFrame({
        "price": [10.0, 20.0], "rating": [4.0, np.nan], "product_id": ["P1", "P2"],
        "timestamp": pd.to_datetime(["2026-01-05T01:00:00Z", "2026-01-05T01:30:00Z"], utc=True),
    })
    charts = distributions("transactions", parsed, pd.Series({"P1": "books", "P2": "books"}))
    assert charts["rating"]["values"] == [0, 0, 0, 1, 0]
    assert charts["purchases per category"] == {"kind": "counts", "labels": ["books"], "values": [2]}
    assert charts["purchases per hour"]["values"][1] == 2
    assert distributions("transactions", parsed)["purchases per category"]["labels"] == []  # no catalog that day


def test_names_equal_but_for_case_become_one_warning():
    validation = DatasetValidation("clickstream", "2026-01-05", "pass", 1,
                                   [CheckResult("columns present", "error", "pass", 0, [])])
    add_field_name_checks(validation, ["price", "user_id"])
    assert [c.name for c in validation.checks] == ["columns present"]
    add_field_name_checks(validation, ["Price", "price", "user_id", "USER_ID"])
    check = validation.checks[-1]
    assert (check.name, check.status, check.failure_count) == (CASE_COLLISIONS, "warn", 2)
    assert validation.status == "warn"
