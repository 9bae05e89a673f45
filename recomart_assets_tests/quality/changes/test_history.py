"""Metric history from metric states: every family read off a hand-written state."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from recomart_assets.quality.changes.history import Metric, as_state, histogram_mean, metric_history, metrics_of
from recomart_assets_tests.fixtures.metric_states import missing_state, state

DAY = "2026-03-10"


def full_state() -> dict:
    return state(
        DAY, rows=200, duplicate_rows=2, quarantined_records=5,
        columns={"product_id": {"null_count": 30, "distinct_count": 17}, "device": {"null_count": 0, "distinct_count": 3}},
        checks={"device: one of web|ios|android": {"status": "warn", "failure_count": 4}},
        segments={"hour": {"00": 20, "13": 180}, "device": {"web": 110, "android": 60, "ios": 30}},
        segment_nulls={"device": {"android": {"product_id": 60}, "ios": {"product_id": 3}}},
        histograms={"price": {"kind": "histogram", "edges": [0, 10, 20], "counts": [1, 3]},
                    "devices": {"kind": "counts", "labels": ["web"], "values": [110]}},
    )


def test_every_family_is_read_from_a_state():
    metrics = {metric.key: value for metric, value in metrics_of(full_state()).items()}
    assert metrics == {
        "row_count": 200,
        "duplicate_share": 0.01,
        "quarantine_share": 5 / 205,
        "null_share:product_id": 0.15,
        "null_share:device": 0.0,
        "distinct_count:product_id": 17,
        "distinct_count:device": 3,
        "failure_count:device: one of web|ios|android": 4,
        "hourly_volume:00": 20,
        "hourly_volume:13": 180,
        "volume:device=web": 110,
        "volume:device=android": 60,
        "volume:device=ios": 30,
        # ios has 30 rows, under the 50 a segment needs for its null share to count
        "segment_null_share:device=android:product_id": 1.0,
        "mean:price": 12.5,  # (5 * 1 + 15 * 3) / 4
    }


def test_a_missing_partition_has_only_its_zero_row_count():
    assert metrics_of(missing_state(DAY)) == {Metric("row_count"): 0.0}


def test_history_zero_fills_segments_a_day_did_not_see_and_lists_missing_days():
    states = {
        "2026-03-01": state("2026-03-01", segments={"device": {"web": 5, "android": 4}}),
        "2026-03-02": state("2026-03-02", segments={"device": {"web": 6}}),
        "2026-03-03": missing_state("2026-03-03"),
        "2026-03-04": None,
    }
    history = metric_history("clickstream", states)
    assert history.days == ["2026-03-01", "2026-03-02"] and history.missing == ["2026-03-03"]
    assert history.series("volume:device=android") == {"2026-03-01": 4.0, "2026-03-02": 0.0}
    assert history.series("row_count") == {"2026-03-01": 100.0, "2026-03-02": 100.0, "2026-03-03": 0.0}


def test_metric_keys_parse_back_and_unknown_families_are_refused():
    metric = Metric("segment_null_share", "device=android:product_id")
    assert Metric.parse(metric.key) == metric
    with pytest.raises(ValueError, match="unknown metric family 'rows'"):
        Metric.parse("rows")


def test_states_may_be_objects_with_to_dict():
    @dataclass
    class Wrapped:
        data: dict

        def to_dict(self) -> dict:
            return self.data

    assert as_state(Wrapped(full_state()))["row_count"] == 200
    with pytest.raises(TypeError):
        as_state(42)


def test_histogram_mean_needs_a_numeric_histogram():
    assert histogram_mean({"kind": "counts", "labels": ["a"], "values": [1]}) is None
    assert histogram_mean({"kind": "histogram", "edges": [], "counts": []}) is None
