"""Crashes anywhere in an intake (the engine, on real transaction files): no partial file with a
manifest, and the next pass completes exactly once."""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from recomart_assets.lake import complete_files, intake, manifest, verify_tree
from recomart_assets.lake.intake import ingest as engine
from recomart_assets.lake.intake import split
from recomart_assets.sources.transactions import LANDING
from recomart_assets_tests.fixtures.landing import csv_text, drop, partition_records, quarantined_rows, row

DAYS = ["2026-03-01", "2026-03-02", "2026-03-03", "2026-03-04"]
ROWS = [row(i, f"{DAYS[i % 4]}T{i % 24:02d}:00:00Z") for i in range(200)] + [row(999, "garbage")]
EXPECTED = {day: 50 for day in DAYS}


class Crash(BaseException):
    """Stands in for the process dying: like a kill, it runs no error handling of the intake."""


def ingest(zone):
    return intake.ingest_file(LANDING, zone, "orders.csv")


def run_pass(zone):
    return intake.run_pass(LANDING, zone)


def assert_exactly_once(zone) -> None:
    assert partition_records(zone) == EXPECTED
    assert [r["line"] for r in quarantined_rows(zone)] == ["202"]
    assert list(zone.landing.glob("*.csv")) == []
    assert len(list(zone.archive_dir("transactions").glob("*/*.csv"))) == 1
    assert list((zone.state_dir / "transactions" / "inflight").glob("*.json")) == []
    assert verify_tree(zone.root).ok


def test_crash_mid_split_leaves_no_partial_partition(zone, small_chunks, monkeypatch):
    drop(zone, "orders.csv", csv_text(ROWS))
    real = split.split_chunks

    def dies_after_two_chunks(*args, **kwargs):
        for n, item in enumerate(real(*args, **kwargs)):
            if n == 2:
                raise Crash()
            yield item

    monkeypatch.setattr(split, "split_chunks", dies_after_two_chunks)
    with pytest.raises(Crash):
        ingest(zone)
    assert list(complete_files(zone.partition_dir("transactions", DAYS[0]))) == []
    assert not [p for p in (zone.root / "transactions").rglob("*") if p.is_file()]  # not even temp files
    monkeypatch.setattr(split, "split_chunks", real)
    run_pass(zone)
    assert_exactly_once(zone)


def test_crash_between_partition_writes(zone, small_chunks, monkeypatch):
    """Two partitions sealed with manifests, the rest not: the re-run overwrites, never duplicates."""
    real = manifest.open_data_file
    opened = []

    @contextmanager
    def dies_sealing_the_third(path, **kwargs):
        opened.append(path)
        with real(path, **kwargs) as handle:
            yield handle
            if len(opened) - opened.index(path) == 3:  # closed in reverse: the third to be sealed
                raise Crash()

    drop(zone, "orders.csv", csv_text(ROWS))
    monkeypatch.setattr(manifest, "open_data_file", dies_sealing_the_third)
    with pytest.raises(Crash):
        ingest(zone)
    sealed = partition_records(zone)
    assert 0 < len(sealed) < len(EXPECTED)
    monkeypatch.setattr(manifest, "open_data_file", real)
    run_pass(zone)
    assert_exactly_once(zone)


def test_crash_between_partition_writes_and_archiving(zone, monkeypatch):
    drop(zone, "orders.csv", csv_text(ROWS))
    real = engine.finish
    monkeypatch.setattr(engine, "finish", lambda source, zone, plan: (_ for _ in ()).throw(Crash()))
    with pytest.raises(Crash):
        ingest(zone)
    assert partition_records(zone) == EXPECTED  # written, not yet archived
    assert (zone.landing / "orders.csv").exists()
    monkeypatch.setattr(engine, "finish", real)
    result = run_pass(zone)
    assert result.outcomes == []  # recovery finished it; nothing left to scan
    assert_exactly_once(zone)


def test_crash_after_the_move_before_the_manifest(zone, monkeypatch):
    drop(zone, "orders.csv", csv_text(ROWS))
    real = engine.write_moved_manifest

    def dies(*args, **kwargs):
        raise Crash()

    monkeypatch.setattr(engine, "write_moved_manifest", dies)
    with pytest.raises(Crash):
        ingest(zone)
    assert not verify_tree(zone.root).ok  # the archived original has no manifest yet
    monkeypatch.setattr(engine, "write_moved_manifest", real)
    drop(zone, "orders.csv", csv_text(ROWS))  # the upstream even re-sends it meanwhile
    run_pass(zone)
    assert_exactly_once(zone)
