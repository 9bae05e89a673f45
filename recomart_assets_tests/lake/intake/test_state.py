"""State files under ``_state/<dataset>/`` are typed and versioned: today's files carry
``state_version``; files written before it (version 1) are still read, and the version written is
always the current one."""

import json

import pytest

from recomart_assets.errors import IntakeError
from recomart_assets.lake import intake
from recomart_assets.lake.intake.plan import LedgerEntry, Plan, ledger_entry
from recomart_assets.lake.intake.state import (
    STATE_VERSION,
    VersionIndex,
    decode_state,
    latest_version,
    ledger_path,
    marker_path,
    record_version,
    versions_path,
)
from recomart_assets.sources.transactions import LANDING
from recomart_assets_tests.fixtures.landing import csv_text, drop, row

SHA = "ab" * 32

# Files as the intake wrote them before the version field (issue 21): same keys, no state_version.
V1_MARKER = {"sha256": SHA, "name": "orders.csv", "ingestion_day": "2026-03-01", "placed_until": "", "stage": "moving",
             "target": "archive/transactions/2026-03-01/x_orders.csv", "fmt": "csv", "record_count": 3, "reason": None,
             "error": False, "partitions": {"2026-03-01": 3}, "rejected_rows": 0, "md5": "", "size": 10,
             "outputs": ["transactions/2026-03-01/a.csv"], "previous_version": None, "replaces": False,
             "repeated_ids": None, "retract": [], "replaced_partitions": []}
V1_LEDGER = {**V1_MARKER, "status": "ingested", "finished_at": "2026-03-01T10:00:00.000Z"}
V1_VERSIONS = {"name": "orders.csv", "versions": [{"sha256": SHA, "landing_file": "orders.csv",
                                                  "ingestion_day": "2026-03-01", "replaces": False}]}


def write(path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(json.dumps(data).encode())


def test_version_1_files_are_read(zone):
    write(marker_path(LANDING, zone, SHA), V1_MARKER)
    write(ledger_path(LANDING, zone, SHA), V1_LEDGER)
    write(versions_path(LANDING, zone, "orders.csv"), V1_VERSIONS)
    plan = Plan.load(LANDING, zone, SHA)
    assert plan.state_version == 1 and plan.decided and plan.outputs == ["transactions/2026-03-01/a.csv"]
    entry = ledger_entry(LANDING, zone, SHA)
    assert isinstance(entry, LedgerEntry) and entry.state_version == 1
    assert (entry.status, entry.partitions, entry.target) == ("ingested", {"2026-03-01": 3}, V1_MARKER["target"])
    assert latest_version(LANDING, zone, "orders.csv.replace") == SHA


def test_a_version_1_ledger_entry_without_outputs_lists_the_daily_files_of_its_time(zone):
    old = {k: v for k, v in V1_LEDGER.items() if k != "outputs"}
    write(ledger_path(LANDING, zone, SHA), old)
    entry = ledger_entry(LANDING, zone, SHA)
    assert entry.outputs == [f"transactions/2026-03-01/{LANDING.partition_file(SHA, None)}"]


def test_files_are_written_in_the_current_version(zone):
    write(marker_path(LANDING, zone, SHA), V1_MARKER)
    plan = Plan.load(LANDING, zone, SHA)
    plan.save(LANDING, zone)
    plan.finished("ingested").save(LANDING, zone)
    record_version(LANDING, zone, "other.csv", SHA, "2026-03-01", False)
    for path in (marker_path(LANDING, zone, SHA), ledger_path(LANDING, zone, SHA),
                 versions_path(LANDING, zone, "other.csv")):
        data = json.loads(path.read_bytes())
        assert data["state_version"] == STATE_VERSION
    assert set(json.loads(ledger_path(LANDING, zone, SHA).read_bytes())) == {*V1_LEDGER, "state_version"}
    assert Plan.load(LANDING, zone, SHA).state_version == STATE_VERSION


def test_an_intake_writes_versioned_state(zone):
    drop(zone, "orders.csv", csv_text([row(1, "2026-03-01T10:00:00Z")]))
    outcome = intake.run_pass(LANDING, zone, 0.0).outcomes[0]
    assert json.loads(ledger_path(LANDING, zone, outcome.sha256).read_bytes())["state_version"] == STATE_VERSION
    index = decode_state(versions_path(LANDING, zone, "orders.csv").read_bytes(), VersionIndex)
    assert index.latest == outcome.sha256 and index.state_version == STATE_VERSION


def test_a_newer_version_than_this_code_reads_is_refused():
    with pytest.raises(IntakeError):
        decode_state(json.dumps({**V1_MARKER, "state_version": STATE_VERSION + 1}).encode(), Plan)
