"""Schema drift and PSI distribution drift on hand-computed states."""

from __future__ import annotations

import math

import orjson
import pytest

from recomart_assets.quality.changes.drift import DriftConfig, distribution_drifts, psi, schema_drift
from recomart_assets_tests.fixtures.metric_states import counts, days_before, missing_state, state

DAY = "2026-03-10"
EARLIER = days_before(DAY, 7)


def test_psi_of_two_share_vectors():
    # (0.25 - 0.5) ln(0.25 / 0.5) + (0.75 - 0.5) ln(0.75 / 0.5)
    assert psi([0.5, 0.5], [0.25, 0.75]) == pytest.approx(0.25 * math.log(2) + 0.25 * math.log(1.5))
    assert psi([50, 50], [25, 75]) == psi([0.5, 0.5], [0.25, 0.75])  # counts are normalised
    assert psi([1, 2, 3], [1, 2, 3]) == 0.0


def test_an_empty_bin_counts_as_epsilon():
    value = psi([1, 0], [0.5, 0.5], epsilon=1e-4)
    assert value == pytest.approx((0.5 - 1) * math.log(0.5) + (0.5 - 1e-4) * math.log(0.5 / 1e-4))
    with pytest.raises(ValueError):
        psi([0, 0], [1, 1])


def test_schema_drift_names_added_removed_and_retyped_fields_against_the_previous_partition():
    before = {"event_id": "string", "price": "number", "search_term": "string", "coupon": "string"}
    after = {"event_id": "string", "price": "string", "search_term": "null", "app_version": "string"}
    states = {
        "2026-03-07": state("2026-03-07", schema={"event_id": "string"}),
        "2026-03-08": state("2026-03-08", schema=before),
        "2026-03-09": missing_state("2026-03-09"),
        DAY: state(DAY, schema=after),
    }
    drift = schema_drift("clickstream", DAY, states)
    assert drift.compared_with == "2026-03-08"  # the latest partition with data
    assert drift.added == {"app_version": "string"} and drift.removed == {"coupon": "string"}
    assert drift.retyped == {"price": ("number", "string")}  # all-null search_term is no retype
    assert drift.to_dict()["retyped"] == {"price": {"from": "number", "to": "string"}}
    assert not schema_drift("clickstream", DAY, {**states, DAY: state(DAY, schema=before)}).changed
    assert schema_drift("clickstream", DAY, {DAY: state(DAY, schema=after)}) is None
    assert schema_drift("clickstream", DAY, {**states, DAY: missing_state(DAY)}) is None


def with_chart(title: str, chart: dict, day: str) -> dict:
    return state(day, histograms={title: chart})


def test_category_mix_psi_against_the_pooled_window():
    baseline = {d: with_chart("devices", counts(web=500, android=300, ios=200), d) for d in EARLIER}
    current = counts(web=600, android=150, ios=250)
    (drift,) = distribution_drifts("clickstream", DAY, {**baseline, DAY: with_chart("devices", current, DAY)})
    expected = {"web": 0.5, "android": 0.3, "ios": 0.2}
    actual = {"web": 0.6, "android": 0.15, "ios": 0.25}
    hand = sum((actual[k] - expected[k]) * math.log(actual[k] / expected[k]) for k in expected)
    assert drift.psi == pytest.approx(hand) and drift.level == "moderate"  # 0.139
    assert drift.bins == ("android", "ios", "web") and drift.days_compared == tuple(EARLIER)
    assert drift.metric == "psi:devices" and drift.to_dict()["psi"] == round(hand, 4)
    assert orjson.loads(orjson.dumps(drift.to_dict()))["expected_shares"] == [0.3, 0.2, 0.5]  # plain JSON numbers
    same = distribution_drifts("clickstream", DAY, {**baseline, DAY: with_chart("devices", counts(web=500, android=300,
                                                                                               ios=200), DAY)})
    assert same[0].psi == pytest.approx(0.0) and same[0].level == "stable"


def test_small_samples_and_short_histories_are_not_judged():
    baseline = {d: with_chart("devices", counts(web=500, android=300), d) for d in EARLIER}
    assert distribution_drifts("clickstream", DAY, {**baseline, DAY: with_chart("devices", counts(web=100), DAY)}) == []
    short = dict(list(baseline.items())[:6])
    assert distribution_drifts("clickstream", DAY, {**short, DAY: with_chart("devices", counts(web=900), DAY)}) == []
    assert distribution_drifts("clickstream", DAY, {**baseline, DAY: with_chart("devices", counts(web=100), DAY)},
                               DriftConfig(min_count=50))[0].level == "significant"


def histogram(edges, values) -> dict:
    return {"kind": "histogram", "edges": edges, "counts": values}


def test_numeric_histograms_are_rebinned_where_every_histogram_knows_its_mass():
    edges = list(range(0, 101, 10))
    baseline = {d: with_chart("price", histogram(edges, [100] * 10), d) for d in EARLIER}
    (same,) = distribution_drifts("transactions", DAY, {**baseline, DAY: with_chart("price", histogram(edges, [100] * 10),
                                                                                    DAY)})
    assert same.psi == 0.0 and len(same.bins) == 10 and same.bins[0] == "<= 10" and same.bins[-1] == "> 90"
    # The same uniform distribution in two bins: only 50 splits today's mass without guessing.
    regrouped = histogram([0, 50, 100], [500, 500])
    (coarse,) = distribution_drifts("transactions", DAY, {**baseline, DAY: with_chart("price", regrouped, DAY)})
    assert coarse.bins == ("<= 50", "> 50") and coarse.psi == pytest.approx(0.0, abs=1e-12)


def test_prices_a_hundred_times_higher_are_significant_drift():
    edges = list(range(0, 101, 10))
    baseline = {d: with_chart("price", histogram(edges, [100] * 10), d) for d in EARLIER}
    # Uniform on 0..1000 in one bin: an edge at 10 or 20 misplaces at most 1% or 2% of it, 30 already 3%.
    cents = histogram([0, 1000], [1000])
    (drift,) = distribution_drifts("transactions", DAY, {**baseline, DAY: with_chart("price", cents, DAY)})
    assert drift.bins == ("<= 10", "10 - 20", "> 20")
    hand = 2 * (0.01 - 0.1) * math.log(0.01 / 0.1) + (0.98 - 0.8) * math.log(0.98 / 0.8)
    assert drift.psi == pytest.approx(hand) and drift.level == "significant"


def test_missing_partitions_have_no_distribution_drift():
    baseline = {d: with_chart("devices", counts(web=500), d) for d in EARLIER}
    assert distribution_drifts("clickstream", DAY, {**baseline, DAY: missing_state(DAY)}) == []
