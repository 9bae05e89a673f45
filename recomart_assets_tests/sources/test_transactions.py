"""Transaction files through the landing intake engine: split by UTC day, archive, quarantine, exactly once."""

from __future__ import annotations

import json
import os

import pandas as pd
import pytest

from recomart_assets.lake import intake, read_manifest, verify_tree
from recomart_assets.simulate.transactions import write_transaction_drops
from recomart_assets.sources.transactions import LANDING, partition_file_name
from recomart_assets_tests.fixtures.landing import HEADER, csv_text, drop, partition_records, quarantined_rows, row

SPANNING = [
    row(1, "2026-03-01T10:00:00Z"),
    row(2, "2026-03-02T01:00:00+05:30"),  # local date 03-02, UTC date 03-01
    row(3, "2026-03-02T23:30:00-02:00"),  # UTC date 03-03
    row(4, "2026-03-03 08:00:00"),  # naive: UTC
    row(5, "2026-03-04T12:00:00.250Z"),
]


def run_pass(zone, **options) -> intake.PassResult:
    return intake.run_pass(LANDING, zone, **options)


def only_outcome(result: intake.PassResult) -> intake.FileOutcome:
    assert len(result.outcomes) == 1, result.outcomes
    return result.outcomes[0]


def test_file_spanning_several_days(zone, small_chunks):
    drop(zone, "orders.csv", csv_text(SPANNING * 20))
    outcome = only_outcome(run_pass(zone))
    assert outcome.status == "ingested"
    assert outcome.partitions == {"2026-03-01": 40, "2026-03-03": 40, "2026-03-04": 20}
    assert partition_records(zone) == outcome.partitions
    day = zone.partition_dir("transactions", "2026-03-03") / partition_file_name(outcome.sha256)
    manifest = read_manifest(day)
    assert manifest.source["landing_file"] == "orders.csv"
    assert manifest.source["sha256"] == outcome.sha256
    assert manifest.source["lines"] == [4, 100]  # physical lines, header = 1
    assert day.read_text().splitlines()[:2] == [HEADER, SPANNING[2]]  # lines as received
    assert not (zone.landing / "orders.csv").exists()
    archived = zone.root / outcome.stored_as
    assert archived.read_text() == csv_text(SPANNING * 20)
    assert read_manifest(archived).record_count == 100
    assert verify_tree(zone.root).ok


def test_simulated_drops_conserve_every_line(zone, settings):
    report = write_transaction_drops(settings, days=4, files=3, rows_per_file=400, dirty_rate=0.02)
    result = run_pass(zone, settle_seconds=0)
    assert result.count("ingested") == 3 and result.count("quarantined") == 2  # extra / missing column files
    placed = sum(partition_records(zone).values())
    rejected = quarantined_rows(zone)
    assert placed + len(rejected) == report.lines
    reasons = pd.Series([r["reason"] for r in rejected])
    expected_rejects = report.defects["unparseable_timestamp"] + report.defects["malformed_lines"]
    assert len(rejected) == expected_rejects
    assert reasons.str.startswith("malformed line").sum() == report.defects["malformed_lines"]
    assert verify_tree(zone.root).ok


def test_rows_without_a_usable_timestamp_go_to_quarantine_with_a_reason(zone):
    rows = [row(1, "2026-03-01T10:00:00Z"), row(2, "not-a-date"), row(3, ""), row(4, "2025-12-31T10:00:00Z"),
            row(5, "2099-01-01T00:00:00Z"), "T6,C000001,P000001", 'T7,"C1,P1,1,9.99,5,2026-03-01T00:00:00Z']
    drop(zone, "mixed.csv", csv_text(rows))
    outcome = only_outcome(run_pass(zone))
    assert outcome.partitions == {"2026-03-01": 1} and outcome.rejected_rows == 6
    rejected = {int(r["line"]): r for r in quarantined_rows(zone)}
    # The placement helper's wordings (lake/placing.py), the same for every source.
    assert rejected[3]["reason"] == "unparseable timestamp: 'not-a-date'" and rejected[3]["record"] == rows[1]
    assert rejected[4]["reason"] == "missing timestamp"
    assert "before the first partition" in rejected[5]["reason"]
    assert "later than now + the allowed clock skew" in rejected[6]["reason"]
    assert rejected[7]["reason"] == "malformed line: expected 7 fields, found 3"
    assert rejected[8]["reason"].startswith("malformed line")
    assert verify_tree(zone.root).ok


def test_quality_problems_stay_in_the_raw_data(zone):
    rows = [row(1, "2026-03-01T10:00:00Z", rating="7"), "T2,,P000001,1,19.99,,2026-03-01T11:00:00Z"]
    drop(zone, "quality.csv", csv_text(rows + rows[:1]))
    outcome = only_outcome(run_pass(zone))
    assert outcome.partitions == {"2026-03-01": 3} and outcome.rejected_rows == 0


WHOLE_FILE_FAULTS = {
    "not_a_csv": ("report.csv", b'{"transactions": [1, 2, 3]}\n', "not a CSV"),
    "binary": ("image.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a CSV: binary content"),
    "undecodable": ("latin1.csv", (HEADER + "\nT1,C1,P1,1,9.99,,2026-03-01T00:00:00Z caf\xe9\n").encode("latin-1"),
                    "undecodable bytes"),
    "empty": ("empty.csv", b"", "empty file"),
    "missing_column": ("short.csv", HEADER.replace(",quantity", "") + "\nT1,C1,P1,9.99,,2026-03-01T00:00:00Z\n",
                       "missing required column(s): quantity"),
    "extra_column": ("long.csv", HEADER + ",coupon\nT1,C1,P1,1,9.99,,2026-03-01T00:00:00Z,X\n",
                     "unknown extra column(s): coupon"),
    "odd_name": ("orders; rm -rf $HOME.csv", csv_text([row(8, "2026-03-01T10:00:00Z")]), "odd file name"),
    "not_csv_name": ("orders.xlsx", csv_text([row(9, "2026-03-01T10:00:00Z")]), "does not end in .csv"),
}


@pytest.mark.parametrize("case", sorted(WHOLE_FILE_FAULTS))
def test_whole_file_fault_is_quarantined_and_others_still_ingested(zone, case):
    name, content, reason = WHOLE_FILE_FAULTS[case]
    drop(zone, name, content)
    drop(zone, "good.csv", csv_text([row(1, "2026-03-01T10:00:00Z")]))
    result = run_pass(zone)
    by_name = {o.name: o for o in result.outcomes}
    assert by_name["good.csv"].status == "ingested"
    bad = by_name[name]
    assert bad.status == "quarantined" and reason in bad.reason
    stored = zone.root / bad.stored_as
    assert stored.parent.parent.name == "transactions" and stored.parent.parent.parent.name == "quarantine"
    assert stored.read_bytes() == (content.encode() if isinstance(content, str) else content)
    details = json.loads(stored.with_name(stored.name + ".reason.json").read_text())
    assert reason in details["reason"] and details["name"] == name
    assert os.listdir(zone.landing.path) == ["clickstream"]
    assert verify_tree(zone.root).ok
    assert partition_records(zone) == {"2026-03-01": 1}


def test_symlink_is_refused_and_never_followed(zone, tmp_path):
    secret = tmp_path / "outside.csv"
    secret.write_text(csv_text([row(1, "2026-03-01T10:00:00Z")]))
    os.symlink(secret, os.path.join(zone.landing.path, "link.csv"))
    drop(zone, "good.csv", csv_text([row(2, "2026-03-02T10:00:00Z")]))
    result = run_pass(zone)
    by_name = {o.name: o for o in result.outcomes}
    assert by_name["link.csv"].status == "refused" and "symbolic link" in by_name["link.csv"].reason
    assert by_name["good.csv"].status == "ingested"
    assert secret.exists() and not os.path.lexists(os.path.join(zone.landing.path, "link.csv"))
    details = json.loads((zone.root / by_name["link.csv"].stored_as).read_text())
    assert details["link_target"] == str(secret)
    assert partition_records(zone) == {"2026-03-02": 1}
    assert verify_tree(zone.root).ok


@pytest.mark.parametrize("name", ["../outside.csv", "/etc/passwd", "sub/../../x.csv", ".."])
def test_name_escaping_the_landing_folder_is_refused(zone, tmp_path, name):
    outside = tmp_path / "outside.csv"
    outside.write_text(csv_text([row(1, "2026-03-01T10:00:00Z")]))
    outcome = intake.ingest_file(LANDING, zone, name)
    assert outcome.status == "refused" and "escapes the landing folder" in outcome.reason
    assert outside.exists()
    assert (zone.root / outcome.stored_as).exists()
    assert partition_records(zone) == {}
    assert verify_tree(zone.root).ok


def test_incomplete_and_hidden_files_are_left_alone(zone):
    content = csv_text([row(1, "2026-03-01T10:00:00Z")])
    for name in ("upload.csv.tmp", "upload.csv.part", ".hidden.csv"):
        drop(zone, name, content)
    drop(zone, "growing.csv", content, age=0)
    result = run_pass(zone, settle_seconds=30)
    assert result.outcomes == [] and result.waiting == ["growing.csv"]
    assert sorted(os.listdir(zone.landing.path)) == [".hidden.csv", "clickstream", "growing.csv",
                                                     "upload.csv.part", "upload.csv.tmp"]


def test_same_file_twice_under_two_names(zone):
    content = csv_text(SPANNING)
    drop(zone, "first.csv", content)
    drop(zone, "second.csv", content)
    result = run_pass(zone)
    statuses = {o.name: o.status for o in result.outcomes}
    assert statuses == {"first.csv": "ingested", "second.csv": "duplicate"}
    assert partition_records(zone) == {"2026-03-01": 2, "2026-03-03": 2, "2026-03-04": 1}
    drop(zone, "third.csv", content)  # and once more, later
    assert only_outcome(run_pass(zone)).status == "duplicate"
    assert partition_records(zone) == {"2026-03-01": 2, "2026-03-03": 2, "2026-03-04": 1}
    assert len(list((zone.archive_dir("transactions") / "duplicates").glob("*/*.csv"))) == 2
    assert verify_tree(zone.root).ok
