"""Freshness per source from the manifests: deadlines from the specs or overrides, and the four statuses."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from recomart_assets.errors import ConfigError
from recomart_assets.quality.changes.freshness import deadline_of, freshness, parse_deadlines, source_freshness
from recomart_assets_tests.fixtures.quality import DAY, transaction_rows, write_csv


def test_deadlines_come_from_the_specs_and_can_be_moved():
    assert deadline_of("transactions", DAY) == datetime(2026, 1, 5, 12, tzinfo=UTC)
    assert deadline_of("clickstream", DAY) == datetime(2026, 1, 6, 2, tzinfo=UTC)  # after the day: sealed
    assert deadline_of("clickstream", DAY, {"clickstream": time(3, 30)}) == datetime(2026, 1, 6, 3, 30, tzinfo=UTC)
    assert parse_deadlines(" clickstream=03:30, transactions=13:00 ") == {"clickstream": time(3, 30),
                                                                         "transactions": time(13)}
    assert parse_deadlines(None) == {}
    for bad in ("clickstream", "fax=01:00", "clickstream=25:00"):
        with pytest.raises(ConfigError):
            parse_deadlines(bad)


def test_each_status_from_what_the_partition_holds(zone):
    write_csv(zone, "transactions", "ingested_a.csv", transaction_rows())
    late = source_freshness(zone, "transactions", DAY)
    assert late.status == "late" and late.files == 1 and late.to_dict()["hours_after_deadline"] > 0
    future = "2999-01-01"
    write_csv(zone, "transactions", "ingested_a.csv", transaction_rows(), day=future)
    assert source_freshness(zone, "transactions", future).status == "on_time"
    assert source_freshness(zone, "clickstream", DAY).status == "missing"
    assert source_freshness(zone, "clickstream", future).status == "pending"
    statuses = {f.dataset: f.status for f in freshness(zone, DAY, now=datetime(2026, 1, 5, 8, tzinfo=UTC))}
    assert statuses == {"product_catalog": "pending", "customers": "pending", "transactions": "late",
                        "clickstream": "pending", "external_metadata": "missing"}  # due at 07:00
