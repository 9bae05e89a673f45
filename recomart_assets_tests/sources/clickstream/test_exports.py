"""Clickstream CSV exports through the landing intake engine: the same guards as transaction files,
landing in the same ``clickstream/D/`` partitions as the Kafka events."""

from __future__ import annotations

import json

import orjson
import pytest

from recomart_assets.lake import complete_files, intake, read_manifest, verify_tree
from recomart_assets.lake.lineage import LandingFile
from recomart_assets.lake.placing import TimeBounds
from recomart_assets.sources.clickstream.exports import LANDING
from recomart_assets_tests.fixtures.landing import drop

DAY = "2026-03-01"
HEADER = "user_id,product_id,event_type,timestamp,device,event_id,channel"
ROWS = (
    f"{HEADER}\n"
    "C000001,P000010,view,2026-03-01T10:15:00+00:00,web,e-1,promo\n"
    "C000002,,search,2026-03-01T16:20:00+05:30,ios,e-2,\n"
    "C000003,P000011,click,yesterday,android,e-3,\n"
)


def drop_export(zone, name: str, content: str | bytes) -> str:
    return drop(zone, name, content, folder="clickstream")


def land(zone) -> dict[str, intake.FileOutcome]:
    return {o.name: o for o in intake.run_pass(LANDING, zone).outcomes}


def events(zone, day: str = DAY) -> list[dict]:
    return [orjson.loads(line) for path, _ in complete_files(zone.partition_dir("clickstream", day), "*.jsonl")
            for line in path.read_bytes().splitlines()]


def quarantined(zone) -> list[dict]:
    return [orjson.loads(line) for path in (zone.root / "quarantine" / "clickstream").glob("*/export-*.jsonl")
            for line in path.read_bytes().splitlines()]


def test_csv_exports_land_once_in_the_same_partitions(zone):
    drop_export(zone, "app_export_1.csv", ROWS)
    drop_export(zone, "app_export_2.csv.part", ROWS)  # still being written
    outcome = land(zone)["app_export_1.csv"]
    assert outcome.status == "ingested"
    assert outcome.partitions == {DAY: 2} and outcome.rejected_rows == 1 and len(outcome.outputs) == 2
    files = {p.name: m for p, m in complete_files(zone.partition_dir("clickstream", DAY))}
    assert [n[:3] for n in files] == ["h10"]  # 16:20+05:30 is 10:50 UTC: both events in hour 10
    first_file = next(complete_files(zone.partition_dir("clickstream", DAY)))[0]
    line = orjson.loads(first_file.read_bytes().splitlines()[0])
    assert line["channel"] == "promo" and line["event_id"] == "e-1"  # extra columns kept
    assert events(zone)[1]["product_id"] is None  # empty cells are null
    assert all(m.source.landing_file == "app_export_1.csv" and len(m.source.sha256) == 64
               for m in files.values())
    assert all(isinstance(m.source, LandingFile) for m in files.values())
    assert not (zone.clickstream_landing / "app_export_1.csv").exists()
    [rejected] = quarantined(zone)
    assert rejected["reason"] == "unparseable timestamp: 'yesterday'" and rejected["line"] == 4
    archived = read_manifest(zone.root / outcome.stored_as)
    assert archived.record_count == 3 and archived.source.records_by_partition == {DAY: 2}

    drop_export(zone, "app_export_1_again.csv", ROWS)  # the same content dropped again
    assert land(zone)["app_export_1_again.csv"].status == "duplicate"
    assert len(list(complete_files(zone.partition_dir("clickstream", DAY)))) == 1
    assert verify_tree(zone.root).ok


BAD_EXPORTS = {
    "wrong_encoding": ("latin1.csv", (ROWS.splitlines()[0] + "\nC1,P1,view,2026-03-01T10:00:00Z,web,e,caf\xe9\n")
                       .encode("latin-1"), "undecodable bytes: not UTF-8"),
    "binary": ("image.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary content"),
    "no_user_id": ("anonymous.csv", "product_id,event_type,timestamp,device\nP1,view,2026-03-01T10:00:00Z,web\n",
                   "missing required column(s): user_id"),
    "not_events": ("orders.csv", "transaction_id,price\nT1,9.99\n", "not a CSV of clickstream"),
    "empty": ("empty.csv", b"", "empty file"),
}


@pytest.mark.parametrize("case", sorted(BAD_EXPORTS))
def test_a_bad_export_is_quarantined_and_the_good_one_beside_it_lands(zone, case):
    name, content, reason = BAD_EXPORTS[case]
    drop_export(zone, name, content)
    drop_export(zone, "good.csv", ROWS)
    outcomes = land(zone)
    assert outcomes["good.csv"].status == "ingested" and outcomes["good.csv"].partitions == {DAY: 2}
    bad = outcomes[name]
    assert bad.status == "quarantined" and reason in bad.reason
    stored = zone.root / bad.stored_as
    assert stored.parent.parent.parent.name == "quarantine" and stored.parent.parent.name == "clickstream"
    assert reason in json.loads(stored.with_name(stored.name + ".reason.json").read_text())["reason"]
    assert [p.name for p in zone.clickstream_landing.iterdir()] == []
    assert verify_tree(zone.root).ok


def test_row_problems_are_rejected_with_their_reason_never_dropped(zone, settings):
    rows = [
        "C1,P1,view,2026-03-01T10:00:00Z,web,e-1,promo",
        "C2,P2,view,2026-03-01T10:05:00Z,web,e-2,promo,SURPLUS",  # a field more than the header
        "C3,P3,view,2026-03-01T10:06:00Z,web",  # fields missing
        "C4,P4,view,2026-03-01T10:07:00,web,e-4,",  # no UTC offset
        "C5,P5,view,2029-03-01T10:00:00Z,web,e-5,",  # a device three years ahead
        'C6,P6,search,2026-03-01T10:08:00Z,web,e-6,"spring, ""sale""\nand more"',  # quoted comma, quote, newline
    ]
    drop_export(zone, "mixed.csv", HEADER + "\n" + "\n".join(rows) + "\n")
    outcome = intake.run_pass(LANDING, zone, bounds=TimeBounds(clock_skew=settings.clock_skew)).outcomes[0]
    assert outcome.partitions == {DAY: 2} and outcome.rejected_rows == 4
    reasons = {r["line"]: r["reason"] for r in quarantined(zone)}
    assert reasons[3] == "malformed line: expected 7 fields, found 8"
    assert reasons[4] == "malformed line: expected 7 fields, found 5"
    assert reasons[5] == "timestamp without UTC offset: '2026-03-01T10:07:00'"
    assert "later than now + the allowed clock skew" in reasons[6]
    assert {r["record"] for r in quarantined(zone)} >= {rows[1], rows[4]}  # as received, surplus value included
    assert events(zone)[1]["channel"] == 'spring, "sale"\nand more'
    assert read_manifest(zone.root / outcome.stored_as).record_count == 6
    assert verify_tree(zone.root).ok
