"""Anomaly detection on small, hand-computed histories."""

from __future__ import annotations

from datetime import date

import pytest

from recomart_assets.quality.anomalies import AnomalyConfig, detect
from recomart_assets.quality.history import Family
from recomart_assets_tests.fixtures.metric_states import days_before, missing_state, state

DAY = "2026-03-10"
ROWS = [100, 102, 98, 101, 99, 100, 103]  # median 100, absolute deviations 0 2 2 1 1 0 3: MAD 1


def history(values, day=DAY, **fields) -> dict:
    days = days_before(day, len(values))
    return {d: state(d, rows=v, **fields) for d, v in zip(days, values, strict=True)}


def test_a_drop_beyond_the_minimum_change_is_an_anomaly_with_its_range_and_days():
    states = {**history(ROWS), DAY: state(DAY, rows=70)}
    found = detect("clickstream", DAY, states)
    assert found.judged and found.days_of_history == 7
    row_count = next(a for a in found.anomalies if a.metric == "row_count")
    # half-width = max(4 x 1.4826 x MAD = 5.93, 25% of 100, 20 rows) = 25
    assert (row_count.expected_low, row_count.expected_high) == (75.0, 125.0)
    assert row_count.direction == "below" and row_count.relative_change == pytest.approx(-0.3)
    assert row_count.z_score == pytest.approx(-30 / 1.4826)
    assert row_count.days_compared == tuple(days_before(DAY, 7)) and row_count.basis == "trailing days"
    as_json = row_count.to_dict()
    assert as_json["value"] == 70 and as_json["expected_range"] == [75, 125] and as_json["dataset"] == "clickstream"


def test_a_change_inside_the_range_is_not_flagged():
    assert detect("clickstream", DAY, {**history(ROWS), DAY: state(DAY, rows=80)}).anomalies == []


def test_the_robust_band_decides_when_there_is_no_minimum_change():
    config = AnomalyConfig(families={"row_count": Family("count", "rows")})
    values = [10, 12, 8, 11, 9, 10, 13]  # median 10, MAD 1: band 10 +/- 5.93
    assert [a.metric for a in detect("clickstream", DAY, {**history(values), DAY: state(DAY, rows=16)},
                                     config).anomalies] == ["row_count"]
    assert detect("clickstream", DAY, {**history(values), DAY: state(DAY, rows=15)}, config).anomalies == []


def test_one_wild_day_in_the_baseline_does_not_widen_the_range():
    config = AnomalyConfig(families={"row_count": Family("count", "rows")})
    values = [10, 12, 8, 11, 9, 10, 5000]  # the median and MAD ignore the outlier: still 10 and 1
    found = detect("clickstream", DAY, {**history(values), DAY: state(DAY, rows=16)}, config).anomalies
    assert [(a.metric, a.expected_high) for a in found] == [("row_count", pytest.approx(10 + 4 * 1.4826))]


def test_nothing_is_judged_before_the_minimum_history():
    found = detect("clickstream", DAY, {**history(ROWS[:6]), DAY: state(DAY, rows=1)})
    assert not found.judged and found.anomalies == []
    assert found.reason == "6 earlier days with data in the window, 7 needed"
    assert detect("clickstream", DAY, {**history(ROWS[:6]), DAY: state(DAY, rows=1)},
                  AnomalyConfig(min_history=6)).judged


def test_days_outside_the_window_and_missing_days_are_not_compared():
    states = {**history([100] * 7, day="2026-02-01"), **history(ROWS), DAY: state(DAY, rows=100)}
    states["2026-03-05"] = missing_state("2026-03-05")
    found = detect("clickstream", DAY, states, AnomalyConfig(window_days=9, min_history=5))
    assert found.days_of_history == 6  # 03-03 .. 03-09 (not January), without the missing 03-05


def test_same_weekday_is_the_baseline_once_the_window_holds_enough_of_them():
    monday = "2026-03-09"
    assert date.fromisoformat(monday).weekday() == 0
    days = days_before(monday, 28)
    # Mondays are busy (400 rows), other days quiet (100): a busy Monday is normal, a quiet one is not.
    states = {d: state(d, rows=400 if date.fromisoformat(d).weekday() == 0 else 100) for d in days}
    busy = detect("clickstream", monday, {**states, monday: state(monday, rows=400)})
    assert busy.anomalies == []
    quiet = detect("clickstream", monday, {**states, monday: state(monday, rows=100)})
    (row_count,) = [a for a in quiet.anomalies if a.metric == "row_count"]
    assert row_count.basis == "same weekday" and len(row_count.days_compared) == 4 and row_count.median == 400
    flat = detect("clickstream", monday, {**states, monday: state(monday, rows=400)},
                  AnomalyConfig(weekday_aware=False)).anomalies
    assert [a.metric for a in flat] == ["row_count"]  # against every day, 400 is four times the median


def test_a_missing_partition_is_flagged_by_its_row_count_alone():
    found = detect("clickstream", DAY, {**history(ROWS), DAY: missing_state(DAY)})
    assert [(a.metric, a.value) for a in found.anomalies] == [("row_count", 0)]


def test_metrics_the_baseline_never_saw_are_not_judged():
    columns = {"product_id": {"null_count": 10, "distinct_count": 50}}
    states = {**history(ROWS, columns=columns),
              DAY: state(DAY, columns={**columns, "app_version": {"null_count": 100, "distinct_count": 1}})}
    assert detect("clickstream", DAY, states).anomalies == []


def test_shares_use_an_absolute_floor_and_stay_within_zero_and_one():
    nulls = {"product_id": {"null_count": 15, "distinct_count": 50}}
    states = {**history(ROWS, columns=nulls)}
    for day in states:  # null share 15 / rows: median 0.15
        states[day] = state(day, rows=100, columns=nulls)
    same = detect("clickstream", DAY, {**states, DAY: state(DAY, rows=100, columns=nulls)}).anomalies
    assert same == []
    bug = {"product_id": {"null_count": 45, "distinct_count": 40}}
    (share,) = [a for a in detect("clickstream", DAY, {**states, DAY: state(DAY, columns=bug)}).anomalies
                if a.metric == "null_share:product_id"]
    assert (share.expected_low, share.expected_high) == (pytest.approx(0.12), pytest.approx(0.18))
    assert share.value == 0.45 and share.direction == "above"


def test_a_device_that_stops_sending_is_a_drop_to_zero():
    segments = {"device": {"web": 500, "android": 300}}
    states = {d: state(d, rows=800, segments=segments) for d in days_before(DAY, 7)}
    found = detect("clickstream", DAY, {**states, DAY: state(DAY, rows=800, segments={"device": {"web": 800}})})
    by_metric = {a.metric: a for a in found.anomalies}
    assert by_metric["volume:device=android"].value == 0 and by_metric["volume:device=web"].value == 800
