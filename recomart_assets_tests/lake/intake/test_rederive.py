"""A backfill rebuilds partitions from the archived originals, byte for byte, and refuses an archive
that no longer matches its manifest."""

from __future__ import annotations

from dataclasses import replace

import pytest

from recomart_assets.errors import CorruptFileError, IntakeError
from recomart_assets.lake.intake.passes import run_pass
from recomart_assets.lake.intake.rederive import archived_sources, rederive_partitions
from recomart_assets.sources.transactions import LANDING
from recomart_assets_tests.fixtures.landing import csv_text, drop, partition_digests, row

DAYS = frozenset(["2026-03-01", "2026-03-02"])


def ingested(zone):
    drop(zone, "a.csv", csv_text([row(1, "2026-03-01T10:00:00Z"), row(2, "2026-03-02T10:00:00Z"),
                                  row(3, "2026-03-02T11:00:00Z"), "broken"]))
    drop(zone, "b.csv", csv_text([row(4, "2026-03-01T12:00:00Z")]))
    drop(zone, "b-again.csv", csv_text([row(4, "2026-03-01T12:00:00Z")]))  # a duplicate: not re-derived
    return run_pass(LANDING, zone).outcomes


def test_only_archived_originals_are_sources(zone):
    outcomes = ingested(zone)
    assert sorted(m.sha256 for _, m in archived_sources(LANDING, zone)) == sorted(
        o.sha256 for o in outcomes if o.status == "ingested")


def test_the_days_asked_for_are_rebuilt_byte_for_byte(zone):
    ingested(zone)
    before = partition_digests(zone)
    for path in (zone.root / "transactions").glob("*/ingested_*"):
        path.unlink()
    assert rederive_partitions(LANDING, zone, frozenset(["2026-03-02"])) == {"2026-03-02": 2}
    assert partition_digests(zone) == {k: v for k, v in before.items() if k.startswith("2026-03-02/")}
    assert rederive_partitions(LANDING, zone, DAYS) == {"2026-03-01": 2, "2026-03-02": 2}
    assert partition_digests(zone) == before


def test_an_archive_that_does_not_match_its_manifest_is_refused(zone):
    outcomes = ingested(zone)
    archived = zone.root / next(o.stored_as for o in outcomes if o.name == "a.csv")
    archived.write_bytes(archived.read_bytes().replace(b"19.99", b"99.99"))
    with pytest.raises(CorruptFileError, match="does not match its manifest"):
        rederive_partitions(LANDING, zone, DAYS)


def test_a_split_that_no_longer_places_what_the_original_intake_did_is_an_error(zone):
    ingested(zone)

    def loses_a_day(header, chunk, window):
        split = LANDING.splitter(header, chunk, window)
        split.placed.pop(("2026-03-02", None), None)
        return split

    with pytest.raises(IntakeError, match="the original intake placed"):
        rederive_partitions(replace(LANDING, splitter=loses_a_day), zone, DAYS)
