"""The intake's entry points: one landing file by name, and a pass over the landing folder that one
bad file never stops and that can wait for files still being written."""

from __future__ import annotations

import os

from recomart_assets.lake import verify_tree
from recomart_assets.lake.intake import passes
from recomart_assets.lake.intake.names import storable
from recomart_assets.lake.intake.plan import ledger_entry
from recomart_assets.sources.transactions import LANDING
from recomart_assets_tests.fixtures.landing import csv_text, drop, row

CONTENT = csv_text([row(1, "2026-03-01T10:00:00Z")])


def test_ingest_file_takes_one_file_in(zone):
    drop(zone, "a.csv", CONTENT)
    outcome = passes.ingest_file(LANDING, zone, "a.csv")
    assert outcome.status == "ingested" and outcome.partitions == {"2026-03-01": 1}
    assert ledger_entry(LANDING, zone, outcome.sha256).status == "ingested"


def test_ingest_file_says_what_it_cannot_take(zone, tmp_path):
    assert passes.ingest_file(LANDING, zone, "gone.csv").status == "missing"
    escaping = passes.ingest_file(LANDING, zone, "../raw_zone.csv")
    assert escaping.status == "refused" and "escapes the landing folder" in escaping.reason
    (tmp_path / "t.csv").write_text(CONTENT)
    os.symlink(tmp_path / "t.csv", os.path.join(zone.landing.path, "link.csv"))
    assert passes.ingest_file(LANDING, zone, "link.csv").reason == "symbolic link: not followed"
    drop(zone, "tab\there.csv", CONTENT)
    refused = passes.ingest_file(LANDING, zone, "tab\there.csv")
    assert refused.status == "refused" and "U+0009" in refused.reason
    assert sorted(os.listdir(zone.landing.path)) == ["clickstream"]  # link and file gone, target kept
    assert (tmp_path / "t.csv").read_text() == CONTENT


def test_a_name_that_is_not_utf8_is_found_by_its_storable_form(zone):
    raw = os.fsdecode(b"caf\xe9.csv")  # Latin-1 bytes: a surrogate escape in Python
    drop(zone, raw, CONTENT)
    outcome = passes.ingest_file(LANDING, zone, storable(raw))  # as a run config carries it
    assert outcome.name == raw and outcome.status == "refused" and not os.path.exists(
        os.path.join(zone.landing.path, raw))


def test_one_failing_file_does_not_stop_the_pass(zone, monkeypatch):
    real = passes.ingest_content

    def breaks_on_b(source, zone, name, *args):
        if name == "b.csv":
            raise RuntimeError("a bug")
        return real(source, zone, name, *args)

    monkeypatch.setattr(passes, "ingest_content", breaks_on_b)
    drop(zone, "a.csv", CONTENT)
    drop(zone, "b.csv", csv_text([row(2, "2026-03-01T10:00:00Z")]))
    drop(zone, "c.csv", csv_text([row(3, "2026-03-01T10:00:00Z")]))
    result = passes.run_pass(LANDING, zone)
    assert [(o.name, o.status) for o in result.outcomes] == [("a.csv", "ingested"), ("b.csv", "failed"),
                                                            ("c.csv", "ingested")]
    assert result.outcomes[1].reason == "RuntimeError: a bug" and (zone.landing / "b.csv").exists()
    assert verify_tree(zone.root).ok


def test_a_pass_waits_for_a_settling_file_only_when_asked(zone):
    drop(zone, "a.csv", CONTENT, age=0)
    result = passes.run_pass(LANDING, zone, settle_seconds=0.5)
    assert result.outcomes == [] and result.waiting == ["a.csv"]
    result = passes.run_pass(LANDING, zone, settle_seconds=0.5, max_wait=5)
    assert [o.status for o in result.outcomes] == ["ingested"] and result.waiting == []
