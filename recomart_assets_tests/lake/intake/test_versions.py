"""Versions of a re-sent landing file (real transaction files): a same-name drop with new content is a
new version that names the previous one; rows are never dropped unless the producer names the file
``<name>.replace``, and then the previous version's rows are replaced in every partition it touches."""

from __future__ import annotations

import pytest

from recomart_assets.lake import complete_files, intake, read_manifest, verify_tree
from recomart_assets.lake.intake import ingest as engine
from recomart_assets.lake.lineage import LandingFile
from recomart_assets.sources.transactions import LANDING
from recomart_assets_tests.fixtures.landing import csv_text, drop, partition_digests, partition_records, row

MONDAY = [row(1, "2026-03-01T10:00:00Z"), row(2, "2026-03-01T11:00:00Z"), row(3, "2026-03-02T10:00:00Z")]


def run_pass(zone):
    [outcome] = intake.run_pass(LANDING, zone).outcomes
    return outcome


def prices(zone, day: str) -> dict[str, str]:
    """transaction id -> its prices ("a/b" when two rows have it) in a partition, from every complete file."""
    found: dict[str, list[str]] = {}
    for path, _ in complete_files(zone.partition_dir("transactions", day), "ingested_*.csv"):
        for line in path.read_text().splitlines()[1:]:
            fields = line.split(",")
            found.setdefault(fields[0], []).append(fields[4])
    return {key: "/".join(sorted(values)) for key, values in found.items()}


def test_a_new_version_names_the_previous_one_and_keeps_every_row(zone, caplog):
    first = drop(zone, "orders.csv", csv_text(MONDAY))
    v1 = run_pass(zone)
    assert v1.previous_version is None and v1.version_note("transaction_id") is None
    resent = [r.replace("19.99", "17.99") for r in MONDAY[1:]] + [row(4, "2026-03-02T12:00:00Z")]
    drop(zone, first, csv_text(resent))  # the exporter reuses its file name
    v2 = run_pass(zone)
    assert v2.status == "ingested" and v2.previous_version == v1.sha256
    assert v2.repeated_ids == 2  # T00002 and T00003 were in the previous version too
    assert "2 transaction_id value(s) repeat it, both kept" in v2.version_note("transaction_id")
    assert "'orders.csv.replace'" in v2.version_note("transaction_id")
    assert any("repeat it" in r.message and r.levelname == "WARNING" for r in caplog.records)
    assert partition_records(zone) == {"2026-03-01": 3, "2026-03-02": 3}  # nothing dropped
    assert prices(zone, "2026-03-01")["T00002"] == "17.99/19.99"
    lineage = read_manifest(zone.root / v2.stored_as).source
    assert isinstance(lineage, LandingFile)
    assert lineage.previous_version == v1.sha256 and lineage.repeated_ids == 2 and not lineage.replaces
    day_file = zone.partition_dir("transactions", "2026-03-02") / f"ingested_{v2.sha256[:16]}.csv"
    assert read_manifest(day_file).source.previous_version == v1.sha256
    assert verify_tree(zone.root).ok


def test_a_replace_drop_replaces_the_previous_rows_in_every_partition_it_touches(zone, recomart_resource):
    drop(zone, "orders.csv", csv_text(MONDAY + [row(5, "2026-03-03T10:00:00Z")]))
    v1 = run_pass(zone)
    corrected = [MONDAY[0], MONDAY[1].replace("19.99", "17.99"), row(6, "2026-03-02T09:00:00Z")]
    drop(zone, "orders.csv.replace", csv_text(corrected))
    v2 = run_pass(zone)
    assert v2.status == "ingested" and v2.previous_version == v1.sha256
    assert v2.replaced_partitions == ["2026-03-01", "2026-03-02"]
    assert "replaced its rows in 2026-03-01, 2026-03-02" in v2.version_note("transaction_id")
    assert prices(zone, "2026-03-01") == {"T00001": "19.99", "T00002": "17.99"}
    assert prices(zone, "2026-03-02") == {"T00006": "19.99"}  # T00003 was in the replaced version only
    assert prices(zone, "2026-03-03") == {"T00005": "19.99"}  # a day the correction does not touch keeps its rows
    assert (zone.root / v1.stored_as).exists()  # the previous version stays in the archive
    lineage = read_manifest(zone.root / v2.stored_as).source
    assert lineage.replaces is True and lineage.replaced_partitions == ["2026-03-01", "2026-03-02"]
    assert intake.latest_version(LANDING, zone, "orders.csv") == v2.sha256
    assert verify_tree(zone.root).ok

    # A backfill re-derives the same partitions from the archive: the replaced rows stay out.
    before = partition_digests(zone)
    for path in (zone.root / "transactions").glob("*/ingested_*"):
        path.unlink()
    days = frozenset(["2026-03-01", "2026-03-02", "2026-03-03"])
    assert intake.rederive_partitions(LANDING, zone, days) == {"2026-03-01": 2, "2026-03-02": 1, "2026-03-03": 1}
    assert partition_digests(zone) == before


class Crash(BaseException):
    """The process dying."""


def test_a_crash_in_the_middle_of_a_replacement_is_completed_by_the_next_pass(zone, monkeypatch):
    drop(zone, "orders.csv", csv_text(MONDAY))
    v1 = run_pass(zone)
    drop(zone, "orders.csv.replace", csv_text([MONDAY[0].replace("19.99", "1.00"), row(7, "2026-03-02T08:00:00Z")]))
    real = engine.take_back
    calls = []

    def dies_after_retracting_one(zone, outputs):
        calls.append(list(outputs))
        if len(calls) == 1 and outputs:
            real(zone, outputs[:1])
            raise Crash()
        real(zone, outputs)

    monkeypatch.setattr(engine, "take_back", dies_after_retracting_one)
    with pytest.raises(Crash):
        intake.ingest_file(LANDING, zone, "orders.csv.replace")
    monkeypatch.setattr(engine, "take_back", real)
    assert intake.run_pass(LANDING, zone).outcomes == []  # recovery finished it: nothing left to scan
    assert prices(zone, "2026-03-01") == {"T00001": "1.00"} and prices(zone, "2026-03-02") == {"T00007": "19.99"}
    assert intake.ledger_entry(LANDING, zone, v1.sha256).status == "ingested"
    assert verify_tree(zone.root).ok


def test_replace_without_a_previous_version_is_a_first_version(zone):
    drop(zone, "fresh.csv.replace", csv_text(MONDAY))
    outcome = run_pass(zone)
    assert outcome.status == "ingested" and outcome.previous_version is None and outcome.replaced_partitions == []
    assert partition_records(zone) == {"2026-03-01": 2, "2026-03-02": 1}
