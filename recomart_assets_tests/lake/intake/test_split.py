"""The split writes a file's records into partition files named by its sha256 (and its rejects into
quarantine), records every output in the plan first, and can take them all back."""

from __future__ import annotations

from dataclasses import replace

import orjson

from recomart_assets.lake import complete_files, read_csv_verified, read_manifest
from recomart_assets.lake.intake.contract import Rejection
from recomart_assets.lake.intake.plan import Plan
from recomart_assets.lake.intake.split import records, rejects_bytes, take_back, write_partitions
from recomart_assets.lake.placing import TimeBounds
from recomart_assets.sources.transactions import LANDING
from recomart_assets_tests.fixtures.landing import HEADER, csv_text, drop, row

SHA = "ab" * 32
ROWS = [row(1, "2026-03-01T10:00:00Z"), row(2, "2026-03-02T10:00:00Z"), "T00003,broken",
        row(4, "2026-03-01T23:59:59Z"), row(5, "1999-01-01T00:00:00Z")]


def landing_file(zone, rows=ROWS):
    return zone.landing / drop(zone, "a.csv", csv_text(rows))


def plan() -> Plan:
    return Plan(SHA, "a.csv", "2026-03-03", placed_until="2026-03-03T06:00:00+00:00")


def test_records_skip_the_header_in_every_chunk_layout(zone, small_chunks):
    path = landing_file(zone, [row(n, "2026-03-01T10:00:00Z") for n in range(40)])  # several 512-byte chunks
    read = list(records(path))
    assert len(read) > 1 and all(header.text == HEADER for header, _ in read)
    texts = [text for _, chunk in read for text in chunk.texts]
    lines = [int(line) for _, chunk in read for line in chunk.lines]
    assert texts == [row(n, "2026-03-01T10:00:00Z") for n in range(40)] and lines == list(range(2, 42))


def test_the_split_writes_partitions_and_rejects_and_lists_them_in_the_plan_first(zone):
    planned = plan()
    written = write_partitions(LANDING, zone, landing_file(zone), planned, TimeBounds())
    assert written.counts == {"2026-03-01": 2, "2026-03-02": 1} and written.rejected == 2
    assert [key for keys in written.keys for key in keys.to_pylist()] == ["T00001", "T00002", "T00004"]
    day = zone.partition_dir("transactions", "2026-03-01") / f"ingested_{SHA[:16]}.csv"
    assert day.read_text() == csv_text([ROWS[0], ROWS[3]])
    assert read_manifest(day).source.lines == [2, 5] and read_manifest(day).record_count == 2
    rejects = zone.quarantine_dir("transactions", "2026-03-03") / f"rejected_{SHA[:16]}.csv"
    rejected = read_csv_verified(rejects, keep_default_na=False).to_dict("records")
    assert [(r["line"], r["record"]) for r in rejected] == [("4", "T00003,broken"), ("6", ROWS[4])]
    assert rejected[0]["reason"] == "malformed line: expected 7 fields, found 2"
    assert planned.outputs == sorted([
        f"transactions/2026-03-01/ingested_{SHA[:16]}.csv", f"transactions/2026-03-02/ingested_{SHA[:16]}.csv",
        f"quarantine/transactions/2026-03-03/rejected_{SHA[:16]}.csv"])
    assert Plan.load(LANDING, zone, SHA).outputs == planned.outputs  # saved with the marker


def test_a_backfill_writes_only_its_days_and_no_rejects(zone):
    planned = plan()
    written = write_partitions(LANDING, zone, landing_file(zone), planned, TimeBounds(),
                               only_days=frozenset(["2026-03-02"]))
    assert written.counts == {"2026-03-02": 1} and written.rejected == 0
    assert [p.name for p, _ in complete_files(zone.partition_dir("transactions", "2026-03-01"))] == []
    assert not zone.quarantine_dir("transactions", "2026-03-03").exists()
    assert planned.outputs == [] and Plan.load(LANDING, zone, SHA) is None


def test_rejects_are_csv_rows_or_json_objects_with_a_bounded_reason():
    rows = [Rejection(3, "bad " * 300, 'x,"y"')]
    csv_rows = rejects_bytes(LANDING, plan(), rows).decode()
    assert csv_rows.startswith('3,bad bad') and csv_rows.endswith(',"x,""y"""\n') and len(csv_rows) < 700
    jsonl = replace(LANDING, dataset=replace(LANDING.dataset, format="jsonl"))
    [line] = rejects_bytes(jsonl, plan(), rows).splitlines()
    record = orjson.loads(line)
    assert (record["line"], record["record"], record["landing_file"], record["sha256"]) == (3, 'x,"y"', "a.csv", SHA)
    assert record["reason"].startswith("bad bad") and len(record["reason"]) < 600


def test_take_back_removes_the_outputs_with_their_manifests(zone):
    planned = plan()
    write_partitions(LANDING, zone, landing_file(zone), planned, TimeBounds())
    take_back(zone, planned.outputs)
    for relative in planned.outputs:
        path = zone.root / relative
        assert not path.exists() and read_manifest(path) is None
    assert not any(p.name.endswith(".manifest") for p in zone.partition_dir("transactions", "2026-03-01").iterdir())
