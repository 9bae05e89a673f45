"""The reference engine on the fixture day: one outcome with checks, profiles, charts and segments."""

from __future__ import annotations

import pandas as pd

from recomart_assets.lake import RawZone
from recomart_assets.quality.engines import pandas_engine
from recomart_assets.quality.engines.loading import load_partition
from recomart_assets.quality.engines.references import ReferenceData, load_references
from recomart_assets_tests.fixtures.quality import DAY


def test_a_partition_is_validated_and_profiled_in_one_outcome(fixture_zone: RawZone):
    outcome = pandas_engine.validate_partition(fixture_zone, "transactions", DAY, load_references(fixture_zone, DAY))
    assert outcome.engine == "pandas" and not outcome.missing
    checks = {c.name: c.failure_count for c in outcome.validation.checks}
    assert checks["product_id: in product_catalog"] == 1 and checks["rating: in_range(1, 5)"] == 2
    assert [f.file for f in outcome.files] == ["ingested_a.csv", "ingested_b.csv"]
    assert (outcome.quarantined_records, outcome.quarantine_files) == (2, 1)
    assert outcome.present["price"] == 10 and outcome.columns["price"]["min"] == 9.5
    assert outcome.column_types["price"] == "number" and outcome.column_types["transaction_id"] == "string"
    assert outcome.distributions["purchases per category"] == {"kind": "counts", "labels": ["books", "toys"],
                                                               "values": [5, 4]}
    assert outcome.segments["hour"]["00"] == 1 and outcome.segments["hour"]["10"] == 2
    assert outcome.segments["category"] == {"books": 5, "toys": 4}
    assert outcome.validation.parsed is None  # the parsed frame is not kept


def test_segments_count_volume_and_nulls_per_value():
    raw = pd.DataFrame({"device": ["web", "ios", "web", None], "search_term": [None, "x", None, None],
                        "event_type": ["view"] * 4})
    parsed = raw.assign(timestamp=pd.to_datetime(["2026-01-05T03:00:00Z"] * 3 + [None], utc=True))
    segments, nulls = pandas_engine.segments_of("clickstream", raw, parsed, None)
    assert segments["hour"]["03"] == 3 and sum(segments["hour"].values()) == 3
    assert segments["device"] == {"web": 2, "ios": 1}
    assert nulls["device"]["web"]["search_term"] == 2 and nulls["device"]["ios"]["search_term"] == 0


def test_a_segment_through_the_catalog_maps_product_ids_to_categories():
    raw = pd.DataFrame({"product_id": ["P1", "P2", "P1"]})
    segments, _ = pandas_engine.segments_of("transactions", raw, raw, pd.Series({"P1": "books", "P2": "toys"}))
    assert segments["category"] == {"books": 2, "toys": 1}
    segments, _ = pandas_engine.segments_of("transactions", raw, raw, None)
    assert segments["category"] == {}  # no catalog that day: no categories


def test_a_missing_partition_is_an_outcome_of_its_own(zone: RawZone):
    outcome = pandas_engine.outcome_of(load_partition(zone, "external_metadata", DAY), ReferenceData())
    assert outcome.missing and outcome.validation.row_count == 0 and outcome.engine == "pandas"
