"""Anomaly detection on small, hand-computed histories."""

from __future__ import annotations

import math
from datetime import date

import pytest

from recomart_assets.quality.changes.anomalies import AnomalyConfig, detect
from recomart_assets.quality.changes.history import Family
from recomart_assets_tests.fixtures.metric_states import days_before, missing_state, state

DAY = "2026-03-10"
ROWS = [1000, 1020, 980, 1010, 990, 1000, 1030]  # median 1000, absolute deviations 0 20 20 10 10 0 30: MAD 10


def history(values, day=DAY, **fields) -> dict:
    days = days_before(day, len(values))
    return {d: state(d, rows=v, **fields) for d, v in zip(days, values, strict=True)}


def test_a_drop_beyond_the_minimum_change_is_an_anomaly_with_its_range_and_days():
    states = {**history(ROWS), DAY: state(DAY, rows=700)}
    found = detect("clickstream", DAY, states)
    assert found.judged and found.days_of_history == 7
    row_count = next(a for a in found.anomalies if a.metric == "row_count")
    # half-width = max(5 x 1.4826 x MAD = 74.1, 5 x sqrt(1000) = 158.1 (Poisson), 25% of 1000, 20 rows) = 250
    assert (row_count.expected_low, row_count.expected_high) == (750.0, 1250.0)
    assert row_count.direction == "below" and row_count.relative_change == pytest.approx(-0.3)
    assert row_count.z_score == pytest.approx(-300 / 14.826)
    assert row_count.days_compared == tuple(days_before(DAY, 7)) and row_count.basis == "trailing days"
    as_json = row_count.to_dict()
    assert as_json["value"] == 700 and as_json["expected_range"] == [750, 1250] and as_json["dataset"] == "clickstream"


def test_a_change_inside_the_range_is_not_flagged():
    assert detect("clickstream", DAY, {**history(ROWS), DAY: state(DAY, rows=800)}).anomalies == []


NO_FLOOR = AnomalyConfig(families={"row_count": Family("count", "rows")})
SPREAD = [1000, 1200, 800, 1100, 900, 1000, 1300]  # median 1000, MAD 100: band 1000 +/- 741.3


def test_the_robust_band_decides_when_the_history_spreads_more_than_sampling():
    flagged = detect("clickstream", DAY, {**history(SPREAD), DAY: state(DAY, rows=1750)}, NO_FLOOR).anomalies
    assert [(a.metric, a.expected_high) for a in flagged] == [("row_count", pytest.approx(1000 + 5 * 148.26))]
    assert detect("clickstream", DAY, {**history(SPREAD), DAY: state(DAY, rows=1740)}, NO_FLOOR).anomalies == []


def test_one_wild_day_in_the_baseline_does_not_widen_the_range():
    values = [1000, 1200, 800, 1100, 900, 1000, 500_000]  # the median and MAD ignore it: still 1000 and 100
    found = detect("clickstream", DAY, {**history(values), DAY: state(DAY, rows=1750)}, NO_FLOOR).anomalies
    assert [(a.metric, a.expected_high) for a in found] == [("row_count", pytest.approx(1000 + 5 * 148.26))]


def test_counts_assume_at_least_poisson_noise():
    flat = [100] * 7  # no spread at all: the range is 100 +/- 5 x sqrt(100)
    found = detect("clickstream", DAY, {**history(flat), DAY: state(DAY, rows=151)}, NO_FLOOR).anomalies
    assert [(a.expected_low, a.expected_high) for a in found] == [(50.0, 150.0)]


def test_the_hours_of_a_day_share_one_pooled_noise_level():
    days = days_before(DAY, 7)
    busy = [70, 130, 70, 130, 100, 100, 100]  # mean and median 100, variance 4 x 900 / 6 = 600: 6 x Poisson

    def hours(i: int, quiet_hour: int) -> dict:
        return {"hour": {"00": quiet_hour, **{f"{h:02d}": busy[i] for h in range(1, 24)}}}

    states = {d: state(d, segments=hours(i, 100)) for i, d in enumerate(days)}
    # Hour 00 never moved, but its siblings show that hourly counts vary 6 times more than Poisson:
    # 100 +/- 5 x sqrt(6 x 100) = 100 +/- 122.5 (Poisson alone: 100 +/- 60, the family's minimum change).
    calm = detect("clickstream", DAY, {**states, DAY: state(DAY, segments=hours(4, 220))}).anomalies
    assert calm == []
    (spike,) = detect("clickstream", DAY, {**states, DAY: state(DAY, segments=hours(4, 225))}).anomalies
    assert spike.metric == "hourly_volume:00"
    assert spike.expected_high == pytest.approx(100 + 5 * math.sqrt(600))


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
    columns = {"product_id": {"null_count": 100, "distinct_count": 50}}
    states = {**history(ROWS, columns=columns),
              DAY: state(DAY, rows=1000, columns={**columns, "app_version": {"null_count": 900, "distinct_count": 1}})}
    assert detect("clickstream", DAY, states).anomalies == []


def test_shares_use_an_absolute_floor_and_their_sampling_noise():
    nulls = {"product_id": {"null_count": 1500, "distinct_count": 50}}
    states = {d: state(d, rows=10_000, columns=nulls) for d in days_before(DAY, 7)}  # null share 0.15
    same = detect("clickstream", DAY, {**states, DAY: state(DAY, rows=10_000, columns=nulls)}).anomalies
    assert same == []
    bug = {"product_id": {"null_count": 4500, "distinct_count": 40}}
    (share,) = [a for a in detect("clickstream", DAY, {**states, DAY: state(DAY, rows=10_000, columns=bug)}).anomalies
                if a.metric == "null_share:product_id"]
    # 5 x sqrt(0.15 x 0.85 / 10000) = 0.018 is under the floor of 0.03
    assert (share.expected_low, share.expected_high) == (pytest.approx(0.12), pytest.approx(0.18))
    assert share.value == 0.45 and share.direction == "above"
    # On a day of 100 rows the same share varies by sqrt(0.15 x 0.85 / 100) = 0.0357: 0.25 is within range.
    few = {"product_id": {"null_count": 25, "distinct_count": 40}}
    assert detect("clickstream", DAY, {**states, DAY: state(DAY, rows=100, columns=few)},
                  AnomalyConfig(families={"row_count": Family("count", "rows", relative=1.0)})).anomalies == []


def test_a_device_that_stops_sending_is_a_drop_to_zero():
    segments = {"device": {"web": 500, "android": 300}}
    states = {d: state(d, rows=800, segments=segments) for d in days_before(DAY, 7)}
    found = detect("clickstream", DAY, {**states, DAY: state(DAY, rows=800, segments={"device": {"web": 800}})})
    by_metric = {a.metric: a for a in found.anomalies}
    assert by_metric["volume:device=android"].value == 0 and by_metric["volume:device=web"].value == 800
