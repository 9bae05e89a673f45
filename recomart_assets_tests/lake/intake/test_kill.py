"""``recomart ingest-transactions`` killed (SIGKILL) at each step of the landing intake's protocol,
then run again: the raw zone ends exactly as an uninterrupted run leaves it (every landing row once
in transactions/ or quarantine/, a correction replacing its previous version's rows, a same-name
new version beside the old one), ``verify`` clean, no temporary file, no intake left in flight.
Also a full disk: a clear error, nothing half-published, and a rerun once space is back completes."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from upath import UPath

from recomart_assets.config import Settings, child_environ
from recomart_assets.lake import RawZone, intake
from recomart_assets.sources.transactions import LANDING
from recomart_assets_tests.fixtures.crash import assert_invariants, fill, run, run_killed_at, small_disk
from recomart_assets_tests.fixtures.landing import csv_text, drop, partition_records, quarantined_rows, row

ARGV = [str(Path(sys.executable).parent / "recomart"), "ingest-transactions", "--settle-seconds", "0",
        "--max-wait", "0"]
DAYS = ("2026-03-01", "2026-03-02", "2026-03-03")


def rows(first: int, count: int, days=DAYS) -> list[str]:
    return [row(first + i, f"{days[i % len(days)]}T{i % 24:02d}:00:00Z") for i in range(count)]


def first_drops(zone: RawZone) -> None:
    drop(zone, "a.csv", csv_text(rows(0, 30) + [row(900, "garbage")]))
    drop(zone, "b.csv", csv_text(rows(100, 20, DAYS[:2]) + [row(901, "not a time")]))


def second_drops(zone: RawZone) -> None:
    drop(zone, "a.csv", csv_text(rows(20, 25)))  # a new version under the same name: ids 20-29 repeat
    drop(zone, "b.csv.replace", csv_text(rows(100, 12, DAYS[:2])))  # corrects b.csv in both its days
    drop(zone, "c.csv", "id,when\n1,2\n")  # not the contract: the whole file is quarantined


def third_drop(zone: RawZone) -> None:
    drop(zone, "a.csv", csv_text(rows(200, 6)))


def lake_state(zone: RawZone) -> tuple:
    """What the raw zone holds, independently of the intake's bookkeeping."""
    quarantined_files = sorted(p.name.split("_", 1)[1] for p in zone.root.glob("quarantine/transactions/*/*_c.csv"))
    archived = len([p for p in zone.archive_dir("transactions").glob("20*/*") if not p.name.endswith(".manifest")])
    return partition_records(zone), len(quarantined_rows(zone)), quarantined_files, archived


def nothing_in_flight(zone: RawZone) -> None:
    state = zone.state_dir / "transactions"
    assert [p.name for p in zone.landing.iterdir() if p.is_file()] == []
    for kind in ("inflight", "staging", "claims"):
        assert not [p for p in (state / kind).rglob("*") if p.is_file()] if (state / kind).exists() else True, kind


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict[str, tuple]:
    """The raw zone after uninterrupted in-process passes: after the second drops, and after the third."""
    zone = RawZone(UPath(tmp_path_factory.mktemp("reference") / "raw_zone"))
    zone.create_tree()
    first_drops(zone)
    intake.run_pass(LANDING, zone)
    second_drops(zone)
    intake.run_pass(LANDING, zone)
    states = {"second": lake_state(zone)}
    third_drop(zone)
    intake.run_pass(LANDING, zone)
    states["third"] = lake_state(zone)
    return states


def test_the_reference_keeps_both_versions_and_applies_the_correction(reference):
    placed, rejected, whole, archived = reference["second"]
    assert placed == {"2026-03-01": 10 + 9 + 6, "2026-03-02": 10 + 8 + 6, "2026-03-03": 10 + 8}
    assert (rejected, whole, archived) == (2, ["c.csv"], 4)


KILLS = [("intake.identified", 1), ("intake.identified", 3), ("intake.split-published", 1),
         ("intake.decided", 2), ("intake.archived", 1), ("intake.archived", 3), ("intake.ledger-written", 2),
         ("intake.landing-removed", 1), ("datafile.in-place", 2), ("datafile.manifest-written", 3),
         ("atomic.temp-durable", 1), ("atomic.temp-durable", 6), ("atomic.temp-durable", 14)]


@pytest.mark.parametrize(("step", "nth"), KILLS, ids=[f"{s}:{n}" for s, n in KILLS])
def test_killed_at_a_step_then_rerun_ends_as_an_uninterrupted_run(zone, settings, reference, step, nth):
    env = child_environ(settings)
    first_drops(zone)
    intake.run_pass(LANDING, zone)
    second_drops(zone)
    killed = run_killed_at(ARGV, env, step, nth)
    assert killed.killed, f"never reached {step}:{nth}: {killed.stdout}{killed.stderr[-2000:]}"
    rerun = run(ARGV, env)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr[-2000:]
    assert lake_state(zone) == reference["second"]
    nothing_in_flight(zone)
    assert_invariants(zone.root)


REPLACED = [("intake.identified", 1), ("intake.split-published", 1), ("intake.ledger-written", 1)]


@pytest.mark.parametrize(("step", "nth"), REPLACED, ids=[s for s, _ in REPLACED])
def test_a_file_replaced_while_its_intake_lies_killed_becomes_the_next_version(zone, settings, reference, step, nth):
    env = child_environ(settings)
    first_drops(zone)
    intake.run_pass(LANDING, zone)
    second_drops(zone)
    assert run_killed_at(ARGV, env, step, nth).killed  # a.csv, the first file, is in flight
    third_drop(zone)  # its producer replaces it before the rerun
    assert run(ARGV, env).returncode == 0
    assert lake_state(zone) == reference["third"]
    nothing_in_flight(zone)
    assert_invariants(zone.root)


def test_a_full_disk_fails_clearly_publishes_nothing_and_the_rerun_completes(tmp_path, reference):
    with small_disk(tmp_path, 8 << 20) as disk:
        zone = RawZone(UPath(disk / "raw_zone"))
        zone.create_tree()
        settings = Settings.from_env({"RECOMART_RAW_ZONE": str(zone.root)})
        env = child_environ(settings)
        first_drops(zone)
        intake.run_pass(LANDING, zone)
        before = lake_state(zone)
        second_drops(zone)
        drop(zone, "big.csv", csv_text(rows(1000, 6000)))  # ~0.4 MB: its snapshot fits, its split does not
        filler = fill(disk, leave_bytes=600 << 10)
        full = run(ARGV, env)
        assert full.returncode == 1
        assert "No space left on device" in full.stdout and "failed" in full.stderr
        placed = partition_records(zone)
        assert all(placed.get(day, 0) >= n for day, n in before[0].items())  # nothing taken away
        assert_invariants(zone.root)  # nothing half-published: verify clean, no temporary file
        assert (zone.landing / "big.csv").exists()  # left for the next pass
        filler.unlink()
        assert run(ARGV, env).returncode == 0
        placed, rejected, whole, archived = lake_state(zone)
        expected = dict(reference["second"][0])
        for day in DAYS:
            expected[day] += 2000
        assert (placed, rejected, whole, archived) == (expected, 2, ["c.csv"], 5)
        nothing_in_flight(zone)
        assert_invariants(zone.root)
