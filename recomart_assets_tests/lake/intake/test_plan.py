"""The in-flight marker of one content (:class:`Plan`): its steps, what it derives, and the ledger
entry it becomes."""

from __future__ import annotations

from datetime import UTC, datetime

from recomart_assets.lake.intake.plan import MOVING, SPLITTING, Plan, ledger_entry, previous_version_entry
from recomart_assets.lake.intake.state import ledger_path, marker_path
from recomart_assets.lake.placing import TimeBounds
from recomart_assets.sources.transactions import LANDING

SHA, OLD = "ab" * 32, "cd" * 32


def test_a_marker_is_saved_loaded_and_dropped(zone):
    assert Plan.load(LANDING, zone, SHA) is None
    plan = Plan(SHA, "a.csv", "2026-03-01", placed_until="2026-03-01T16:00:00+00:00", md5="m", size=3)
    plan.save(LANDING, zone)
    assert Plan.load(LANDING, zone, SHA) == plan
    plan.drop(LANDING, zone)
    assert not marker_path(LANDING, zone, SHA).exists()
    plan.drop(LANDING, zone)  # dropping twice is harmless (recovery may)


def test_the_window_is_the_recorded_bound_or_the_end_of_the_next_day():
    bounds = TimeBounds()
    recorded = Plan(SHA, "a.csv", "2026-03-01", placed_until="2026-03-01T16:00:00+00:00").window(bounds)
    assert recorded.latest == datetime(2026, 3, 1, 16, tzinfo=UTC)
    older = Plan(SHA, "a.csv", "2026-03-01").window(bounds)  # from before the bound was recorded
    assert older.latest == datetime(2026, 3, 2, 23, 59, 59, 999999, tzinfo=UTC)


def test_the_steps_record_the_split_and_the_decision(zone):
    plan = Plan(SHA, "a.csv.replace", "2026-03-03", previous_version=OLD, replaces=True)
    plan.record_outputs(["t/b", "t/a"])
    plan.record_split({"2026-03-01": 2, "2026-03-02": 1}, rejected=4)
    assert plan.outputs == ["t/a", "t/b"] and plan.record_count == 7 and plan.rejected_rows == 4
    plan.record_replacement({"2026-03-01": ["old/1"], "2026-02-28": ["old/0"], "2026-03-02": ["old/2", "old/3"]},
                            days=["2026-03-02", "2026-03-01"])
    assert plan.replaced_partitions == ["2026-03-01", "2026-03-02"] and plan.retract == ["old/1", "old/2", "old/3"]
    assert plan.stage == SPLITTING and not plan.decided
    plan.decide(zone, zone.archive_dir("transactions") / "2026-03-03" / "x_a.csv")
    assert plan.decided and plan.stage == MOVING and plan.target == "archive/transactions/2026-03-03/x_a.csv"
    outcome = plan.outcome("ingested", "other.csv")
    assert (outcome.name, outcome.records, outcome.stored_as, outcome.previous_version) == (
        "other.csv", 3, plan.target, OLD)
    lineage = plan.finished_lineage()
    assert lineage.records_by_partition == {"2026-03-01": 2, "2026-03-02": 1} and lineage.replaces is True
    assert lineage.replaced_partitions == ["2026-03-01", "2026-03-02"] and lineage.rejected_rows == 4


def test_quarantine_by_content_keeps_the_outputs_by_error_takes_them_back():
    by_content = Plan(SHA, "a.csv", "2026-03-01", outputs=["t/a"])
    by_content.quarantine("binary file")
    assert (by_content.reason, by_content.fmt, by_content.record_count, by_content.error) == (
        "binary file", "bytes", 1, False)
    assert by_content.outputs == ["t/a"]
    by_error = Plan(SHA, "a.csv", "2026-03-01", outputs=["t/a"])
    by_error.quarantine("intake error: boom", error=True)
    assert by_error.error and by_error.outputs == []


def test_a_finished_plan_is_the_ledger_entry(zone):
    plan = Plan(SHA, "a.csv", "2026-03-01", previous_version=OLD, partitions={"2026-03-01": 2})
    assert ledger_entry(LANDING, zone, SHA) is None
    entry = plan.finished("ingested")
    entry.save(LANDING, zone)
    assert ledger_path(LANDING, zone, SHA).exists() and not marker_path(LANDING, zone, SHA).exists()
    read = ledger_entry(LANDING, zone, SHA)
    assert read.status == "ingested" and read.partitions == {"2026-03-01": 2} and read.finished_at
    assert previous_version_entry(LANDING, zone, plan) is None  # OLD never finished
    Plan(OLD, "a.csv", "2026-02-28").finished("quarantined").save(LANDING, zone)
    assert previous_version_entry(LANDING, zone, plan).status == "quarantined"
    assert previous_version_entry(LANDING, zone, Plan(OLD, "a.csv", "2026-02-28")) is None  # a first version
