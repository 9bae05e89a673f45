"""A landing file replaced (or still growing) while a pass handles it: the pass publishes only the
bytes it hashed (its snapshot), the archive copy always matches its manifest, and whatever the file
became meanwhile stays in the landing folder for the next pass, as a new version. Every row of
both versions ends up exactly once."""

from __future__ import annotations

import os
import time

import pytest

from recomart_assets.lake import intake, verify_tree
from recomart_assets.lake.intake import ingest as engine
from recomart_assets.sources.transactions import LANDING
from recomart_assets_tests.fixtures.landing import csv_text, drop, partition_records, quarantined_rows, row

NAME = "orders.csv"
FIRST = [row(i, f"2026-03-0{1 + i % 2}T10:00:00Z") for i in range(10)] + [row(90, "garbage")]
SECOND = [row(100 + i, "2026-03-03T10:00:00Z") for i in range(7)] + [row(91, "garbage")]

# Moments of the pass, as functions both the old and the new engine call: after the file was
# identified, after its split was published, while versions are compared, before it is archived.
MOMENTS = [("content_problem", False), ("write_partitions", False), ("compare_versions", False), ("finish", True)]


def replace_at(monkeypatch, zone, moment: tuple[str, bool], change, name: str = NAME) -> None:
    """Run ``change`` once, right after (or before) the engine's function ``moment`` runs."""
    function, before = moment
    monkeypatch.setattr(engine, function, _around(getattr(engine, function), before,
                                                  lambda: change(os.path.join(zone.landing.path, name))))


def _around(real, before: bool, change):
    fired: list[bool] = []

    def hooked(*args, **kwargs):
        if before and not fired:
            fired.append(True)
            change()
        result = real(*args, **kwargs)
        if not fired:
            fired.append(True)
            change()
        return result

    return hooked


def replace_by_rename(path: str) -> None:
    """An exporter writing a new file beside and renaming it over the old name (new inode)."""
    tmp = path + ".part"
    with open(tmp, "w") as handle:
        handle.write(csv_text(SECOND))
    os.replace(tmp, path)
    past = time.time() - 60
    os.utime(path, (past, past))


def rewrite_in_place(path: str) -> None:
    """An exporter truncating and rewriting the same file (same inode)."""
    with open(path, "r+") as handle:
        handle.truncate(0)
        handle.write(csv_text(SECOND))
    past = time.time() - 60
    os.utime(path, (past, past))


def assert_both_versions_once(zone, placed: dict[str, int], rejected: int) -> None:
    assert partition_records(zone) == placed
    assert len(quarantined_rows(zone)) == rejected
    assert list(zone.landing.glob("*.csv")) == []
    problems = verify_tree(zone.root).problems
    assert not problems, problems


@pytest.mark.parametrize("change", [replace_by_rename, rewrite_in_place])
@pytest.mark.parametrize("moment", MOMENTS, ids=[m[0] for m in MOMENTS])
def test_a_file_replaced_mid_pass_keeps_both_versions_exactly_once(zone, monkeypatch, moment, change):
    drop(zone, NAME, csv_text(FIRST))
    replace_at(monkeypatch, zone, moment, change)
    first = intake.run_pass(LANDING, zone)
    assert [o.status for o in first.outcomes] == ["ingested"]
    assert first.outcomes[0].records == 10  # the bytes it hashed, nothing of the replacement
    monkeypatch.undo()
    assert (zone.landing / NAME).read_text() == csv_text(SECOND)  # left for the next pass
    second = intake.run_pass(LANDING, zone)
    assert [o.status for o in second.outcomes] == ["ingested"]
    assert second.outcomes[0].previous_version == first.outcomes[0].sha256
    assert_both_versions_once(zone, {"2026-03-01": 5, "2026-03-02": 5, "2026-03-03": 7}, rejected=2)


def test_a_writer_pausing_past_the_settle_window_gets_its_later_rows_into_the_next_version(zone, monkeypatch):
    drop(zone, NAME, csv_text(FIRST))
    later = [row(200 + i, "2026-03-04T10:00:00Z") for i in range(3)]

    def append(path: str) -> None:
        with open(path, "a") as handle:
            handle.write("".join(r + "\n" for r in later))
        past = time.time() - 60
        os.utime(path, (past, past))

    replace_at(monkeypatch, zone, ("write_partitions", False), append)
    assert intake.run_pass(LANDING, zone).outcomes[0].records == 10
    monkeypatch.undo()
    again = intake.run_pass(LANDING, zone).outcomes[0]
    assert again.records == 13 and again.repeated_ids == 10  # the whole grown file: a new version, both kept
    assert_both_versions_once(zone, {"2026-03-01": 10, "2026-03-02": 10, "2026-03-04": 3}, rejected=2)


def test_a_correction_replaced_while_it_replaces_keeps_every_version(zone, monkeypatch):
    drop(zone, NAME, csv_text(FIRST))
    intake.run_pass(LANDING, zone)
    drop(zone, NAME + ".replace", csv_text(FIRST[:4]))
    replace_at(monkeypatch, zone, ("compare_versions", False), replace_by_rename, name=NAME + ".replace")
    done = intake.run_pass(LANDING, zone).outcomes[0]
    assert done.replaced_partitions == ["2026-03-01", "2026-03-02"]
    monkeypatch.undo()
    last = intake.run_pass(LANDING, zone).outcomes[0]
    assert last.previous_version == done.sha256 and last.replaced_partitions == []  # touches another day
    assert_both_versions_once(zone, {"2026-03-01": 2, "2026-03-02": 2, "2026-03-03": 7}, rejected=2)

