"""One content through the protocol's steps: refused entries, a new content, a duplicate, a content
the guards quarantine, and a split the environment breaks before its decision."""

from __future__ import annotations

import os

import orjson
import pytest

from recomart_assets.lake import complete_files, read_manifest, verify_tree
from recomart_assets.lake.intake import ingest
from recomart_assets.lake.intake.identity import inspect_file
from recomart_assets.lake.intake.plan import Plan, ledger_entry
from recomart_assets.lake.intake.snapshot import snapshot_path
from recomart_assets.lake.placing import TimeBounds
from recomart_assets.sources.transactions import LANDING
from recomart_assets_tests.fixtures.landing import csv_text, drop, row

CONTENT = csv_text([row(1, "2026-03-01T10:00:00Z"), row(2, "2026-03-02T10:00:00Z")])


def take_in(zone, name: str):
    return ingest.ingest_content(LANDING, zone, name, zone.landing / name, TimeBounds())


def reason_of(zone, outcome) -> dict:
    return orjson.loads((zone.root / outcome.stored_as).read_bytes())


def test_a_link_is_removed_never_its_target(zone, tmp_path):
    target = tmp_path / "elsewhere.csv"
    target.write_text(CONTENT)
    os.symlink(target, os.path.join(zone.landing.path, "link.csv"))
    outcome = ingest.refuse(LANDING, zone, "link.csv", "symbolic link: not followed")
    assert outcome.status == "refused" and outcome.reason == "symbolic link: not followed"
    assert not os.path.lexists(os.path.join(zone.landing.path, "link.csv")) and target.read_text() == CONTENT
    details = reason_of(zone, outcome)
    assert details["link_target"] == str(target) and details["name"] == "link.csv"


def test_a_refused_file_goes_to_quarantine_as_received(zone):
    drop(zone, "bad\x07.csv", CONTENT)
    outcome = ingest.refuse(LANDING, zone, "bad\x07.csv", "control character")
    assert not (zone.landing / "bad\x07.csv").exists()
    kept = (zone.root / outcome.stored_as).with_name((zone.root / outcome.stored_as).name.removesuffix(".reason.json"))
    assert kept.read_text() == CONTENT and read_manifest(kept).sha256 == reason_of(zone, outcome)["sha256"]
    assert ledger_entry(LANDING, zone, read_manifest(kept).sha256) is None  # refusals are not in the ledger
    assert verify_tree(zone.root).ok


def test_an_escaping_name_gets_a_reason_file_only(zone):
    outcome = ingest.refuse(LANDING, zone, "../outside.csv", "escapes")
    assert outcome.status == "refused" and "sha256" not in reason_of(zone, outcome)


def test_a_new_content_is_split_archived_and_entered_in_the_ledger_then_a_copy_is_set_aside(zone):
    drop(zone, "a.csv", CONTENT)
    first = take_in(zone, "a.csv")
    assert first.status == "ingested" and first.partitions == {"2026-03-01": 1, "2026-03-02": 1}
    assert (zone.root / first.stored_as).read_text() == CONTENT and not (zone.landing / "a.csv").exists()
    assert ledger_entry(LANDING, zone, first.sha256).status == "ingested"
    assert Plan.load(LANDING, zone, first.sha256) is None and not snapshot_path(LANDING, zone, first.sha256).exists()
    drop(zone, "copy.csv", CONTENT)
    copy = take_in(zone, "copy.csv")
    assert copy.status == "duplicate" and copy.name == "copy.csv" and copy.partitions == first.partitions
    assert copy.stored_as.startswith("archive/transactions/duplicates/")
    assert read_manifest(zone.root / copy.stored_as).source.duplicate_of == first.stored_as
    assert not (zone.landing / "copy.csv").exists()
    assert [p.name for p, _ in complete_files(zone.partition_dir("transactions", "2026-03-01"))] == [
        f"ingested_{first.sha256[:16]}.csv"]  # the copy placed nothing
    assert verify_tree(zone.root).ok


def test_a_file_the_guards_refuse_is_quarantined_whole_with_its_reason(zone):
    drop(zone, "empty.csv", b"")
    outcome = take_in(zone, "empty.csv")
    assert outcome.status == "quarantined" and outcome.reason == "empty file" and outcome.partitions == {}
    assert outcome.stored_as.startswith("quarantine/transactions/")
    reason = zone.root / (outcome.stored_as + ".reason.json")
    assert orjson.loads(reason.read_bytes())["reason"] == "empty file"
    assert ledger_entry(LANDING, zone, outcome.sha256).status == "quarantined"


def test_an_error_of_the_environment_before_the_decision_leaves_the_landing_file_to_retry(zone, monkeypatch):
    drop(zone, "a.csv", CONTENT)

    def disk_full(*args, **kwargs):
        raise OSError("no space left on device")

    monkeypatch.setattr(ingest, "write_partitions", disk_full)
    with pytest.raises(OSError, match="no space left"):
        take_in(zone, "a.csv")
    sha256 = inspect_file(zone.landing / "a.csv").sha256
    assert ingest.landing_holds(LANDING, zone, "a.csv", sha256)
    assert Plan.load(LANDING, zone, sha256) is None and not snapshot_path(LANDING, zone, sha256).exists()
    assert ledger_entry(LANDING, zone, sha256) is None


def test_landing_holds_only_the_same_bytes(zone):
    drop(zone, "a.csv", CONTENT)
    sha256 = inspect_file(zone.landing / "a.csv").sha256
    assert ingest.landing_holds(LANDING, zone, "a.csv", sha256)
    drop(zone, "a.csv", CONTENT + "x\n")
    assert not ingest.landing_holds(LANDING, zone, "a.csv", sha256)
    assert not ingest.landing_holds(LANDING, zone, "gone.csv", sha256)
