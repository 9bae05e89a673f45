"""Recovery finishes what a crash interrupted, from the raw zone alone: a decided intake is finished,
an undecided one is split again while its landing file is there and taken back once it is gone."""

from __future__ import annotations

import pytest

from recomart_assets.lake import complete_files, verify_tree
from recomart_assets.lake.intake.ingest import ingest_content
from recomart_assets.lake.intake.plan import Plan, ledger_entry
from recomart_assets.lake.intake.recover import recover
from recomart_assets.lake.intake.snapshot import snapshot_path
from recomart_assets.lake.placing import TimeBounds
from recomart_assets.sources.transactions import LANDING
from recomart_assets_tests.fixtures.intake import Crash, crash_at
from recomart_assets_tests.fixtures.landing import csv_text, drop, row

CONTENT = csv_text([row(1, "2026-03-01T10:00:00Z"), row(2, "2026-03-02T10:00:00Z")])


def interrupted(zone, monkeypatch, step: str) -> Plan:
    """An intake of ``a.csv`` that died right after ``step``; its in-flight marker."""
    drop(zone, "a.csv", CONTENT)
    crash_at(monkeypatch, step)
    with pytest.raises(Crash):
        ingest_content(LANDING, zone, "a.csv", zone.landing / "a.csv", TimeBounds())
    monkeypatch.undo()
    [marker] = LANDING.state_dir(zone, "inflight").glob("*.json")
    return Plan.load(LANDING, zone, marker.name.removesuffix(".json"))


def day_files(zone, day: str) -> list[str]:
    return [p.name for p, _ in complete_files(zone.partition_dir("transactions", day))]


def test_nothing_to_recover(zone):
    assert recover(LANDING, zone) == []


def test_a_decided_intake_is_finished(zone, monkeypatch):
    plan = interrupted(zone, monkeypatch, "intake.decided")
    assert plan.decided and ledger_entry(LANDING, zone, plan.sha256) is None
    assert recover(LANDING, zone) == ["a.csv"]
    entry = ledger_entry(LANDING, zone, plan.sha256)
    assert entry.status == "ingested" and (zone.root / entry.target).read_text() == CONTENT
    assert not (zone.landing / "a.csv").exists() and Plan.load(LANDING, zone, plan.sha256) is None
    assert verify_tree(zone.root).ok


def test_an_undecided_intake_is_split_again_while_its_landing_file_is_there(zone, monkeypatch):
    plan = interrupted(zone, monkeypatch, "intake.split-published")
    assert not plan.decided and day_files(zone, "2026-03-01") == [f"ingested_{plan.sha256[:16]}.csv"]
    assert recover(LANDING, zone) == ["a.csv"]
    assert ledger_entry(LANDING, zone, plan.sha256).partitions == {"2026-03-01": 1, "2026-03-02": 1}
    assert day_files(zone, "2026-03-01") == [f"ingested_{plan.sha256[:16]}.csv"]  # the same file, once
    assert not snapshot_path(LANDING, zone, plan.sha256).exists() and not (zone.landing / "a.csv").exists()
    assert verify_tree(zone.root).ok


def test_an_undecided_intake_whose_file_was_withdrawn_is_taken_back(zone, monkeypatch):
    plan = interrupted(zone, monkeypatch, "intake.split-published")
    (zone.landing / "a.csv").unlink()
    assert recover(LANDING, zone) == []
    assert day_files(zone, "2026-03-01") == [] and day_files(zone, "2026-03-02") == []
    assert Plan.load(LANDING, zone, plan.sha256) is None and not snapshot_path(LANDING, zone, plan.sha256).exists()
    assert ledger_entry(LANDING, zone, plan.sha256) is None


def test_an_intake_that_cannot_be_finished_keeps_its_marker(zone, monkeypatch):
    plan = interrupted(zone, monkeypatch, "intake.decided")
    snapshot_path(LANDING, zone, plan.sha256).unlink()  # the snapshot vanished: finish cannot archive it
    assert recover(LANDING, zone) == []
    assert Plan.load(LANDING, zone, plan.sha256) == plan and ledger_entry(LANDING, zone, plan.sha256) is None
