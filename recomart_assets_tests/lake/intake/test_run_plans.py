"""What a sensor decides from the landing folder and its cursor: one run per new content, none for
what it requested already, and nothing written."""

from __future__ import annotations

import os

from recomart_assets.lake.intake.names import name_key
from recomart_assets.lake.intake.passes import run_pass
from recomart_assets.lake.intake.plan import Plan
from recomart_assets.lake.intake.run_plans import plan_runs
from recomart_assets.sources.transactions import LANDING
from recomart_assets_tests.fixtures.landing import csv_text, drop, row, tree_snapshot

CONTENT = csv_text([row(1, "2026-03-01T10:00:00Z")])
OTHER = csv_text([row(2, "2026-03-01T10:00:00Z")])


def test_a_new_content_gets_a_run_keyed_by_its_sha256_once(zone):
    drop(zone, "a.csv", CONTENT)
    drop(zone, "b.csv", CONTENT)  # the same bytes under a second name wait for the first run
    before = tree_snapshot(zone)
    plans, known = plan_runs(LANDING, zone, {})
    assert tree_snapshot(zone) == before
    [plan] = plans
    assert plan.name == "a.csv" and plan.run_key == plan.sha256 and len(plan.sha256) == 64
    assert set(known) == {"a.csv"} and known["a.csv"]["sha256"] == plan.sha256
    again, known = plan_runs(LANDING, zone, known)
    assert again == []  # a.csv unchanged, b.csv still waits for a.csv's run
    assert set(known) == {"a.csv"}


def test_a_changed_entry_is_looked_at_again(zone):
    drop(zone, "a.csv", CONTENT)
    _, known = plan_runs(LANDING, zone, {})
    drop(zone, "a.csv", OTHER, age=30)
    [plan] = plan_runs(LANDING, zone, known)[0]
    assert plan.run_key == plan.sha256 != known["a.csv"]["sha256"]


def test_a_content_in_the_ledger_gets_a_duplicate_or_a_retry_run(zone):
    drop(zone, "a.csv", CONTENT)
    [first] = run_pass(LANDING, zone).outcomes
    drop(zone, "copy.csv", CONTENT)
    [plan] = plan_runs(LANDING, zone, {})[0]
    assert plan.run_key.startswith(f"duplicate-{first.sha256}-") and plan.run_key.endswith(name_key("copy.csv"))
    Plan(first.sha256, "a.csv", "2026-03-01", error=True).finished("quarantined").save(LANDING, zone)
    [plan] = plan_runs(LANDING, zone, {})[0]
    assert plan.run_key.startswith(f"retry-{first.sha256}-")


def test_links_and_refused_names_get_runs_that_refuse_them_unread(zone, tmp_path):
    (tmp_path / "t.csv").write_text(CONTENT)
    os.symlink(tmp_path / "t.csv", os.path.join(zone.landing.path, "link.csv"))
    drop(zone, "bell\x07.csv", CONTENT)
    plans, known = plan_runs(LANDING, zone, {})
    by_name = {plan.name: plan for plan in plans}
    assert by_name["link.csv"].run_key.startswith("refuse-link-") and by_name["link.csv"].sha256 == ""
    assert by_name["bell\x07.csv"].run_key.startswith("refuse-name-") and by_name["bell\x07.csv"].sha256 == ""
    assert plan_runs(LANDING, zone, known)[0] == []


def test_entries_that_left_the_folder_leave_the_cursor(zone):
    drop(zone, "a.csv", CONTENT)
    _, known = plan_runs(LANDING, zone, {})
    (zone.landing / "a.csv").unlink()
    assert plan_runs(LANDING, zone, known) == ([], {})
