"""The landing intake engine on its own, with a toy source: what every file-based source gets for free."""

from __future__ import annotations

import json
import os
from dataclasses import replace

import orjson
import pytest

from recomart_assets import datasets
from recomart_assets.datasets import DatasetSpec
from recomart_assets.lake import complete_files, intake, manifest, read_manifest, verify_tree
from recomart_assets.lake.intake import ingest as engine
from recomart_assets.lake.placing import Unplaceable
from recomart_assets.lake.records import RecordChunk
from recomart_assets_tests.fixtures.landing import drop, tree_snapshot

TOY = DatasetSpec(
    name="toy_readings", folder="toy_readings", file_pattern="*.jsonl", format="jsonl",
    schema="recomart_assets.quality.rules.schemas:clickstream_schema", lineage="landing_file", group="raw",
    description="A toy file source for the engine's tests.", landing_folder="toy",
)


def split_toy(header: intake.Header, chunk: RecordChunk, window: intake.EventTimeWindow) -> intake.ChunkSplit:
    """Records placed by the hour of ``at``, as JSON objects of every column; a ``value`` that is not
    a number, a record of the wrong width or an unplaceable ``at`` is rejected."""
    width, at, value = len(header.columns), header.index("at"), header.index("value")
    rows = [text.split(",") for text in chunk.texts] if chunk.plain else chunk.fields
    shaped = [isinstance(row, list) and len(row) == width for row in rows]
    placements = window.place([row[at] if ok else None for row, ok in zip(rows, shaped, strict=True)],
                              require_offset=True)
    split = intake.ChunkSplit()
    placed: dict[intake.PartitionKey, list[int]] = {}
    for i, row in enumerate(rows):
        where = placements[i]
        if not shaped[i]:
            reason = f"expected {width} fields"
        elif not row[value].replace(".", "", 1).isdigit():
            reason = f"not a number: {row[value]!r}"
        elif isinstance(where, Unplaceable):
            reason = where.reason
        else:
            placed.setdefault((where.day, where.hour), []).append(i)
            continue
        split.rejected.append(intake.Rejection(int(chunk.lines[i]), reason, chunk.texts[i]))
    for key, members in placed.items():
        data = b"".join(orjson.dumps(dict(zip(header.columns, rows[i], strict=True))) + b"\n" for i in members)
        split.placed[key] = intake.Placed(data, len(members), int(chunk.lines[members[0]]),
                                          int(chunk.lines[members[-1]]))
    return split


SOURCE = intake.LandingSource(
    dataset=TOY,
    contract=intake.HeaderContract(required=("sensor", "at", "value")),
    splitter=split_toy,
    partition_file=lambda sha256, hour: f"h{hour:02d}-{sha256[:8]}.jsonl",
    rejects_file=lambda sha256: f"rejected-{sha256[:8]}.jsonl",
)


@pytest.fixture
def toy_zone(zone):
    datasets.register(TOY)
    (zone.landing / "toy").mkdir()
    yield zone
    datasets.unregister(TOY.name)


def drop_toy(zone, name: str, content: str | bytes, **kwargs) -> str:
    return drop(zone, name, content, folder="toy", **kwargs)


GOOD = "sensor,at,value\ns1,2026-03-01T10:15:00Z,1.5\ns2,2026-03-01T11:00:00+01:00,2\ns3,2026-03-01T11:30:00Z,x\n"


def test_a_toy_source_gets_split_archive_rejects_and_ledger(toy_zone):
    zone = toy_zone
    drop_toy(zone, "r.csv", GOOD)
    [outcome] = intake.run_pass(SOURCE, zone).outcomes
    assert outcome.status == "ingested" and outcome.partitions == {"2026-03-01": 2} and outcome.rejected_rows == 1
    folder = zone.partition_dir(TOY.name, "2026-03-01")
    files = {p.name: m for p, m in complete_files(folder)}
    assert [name[:3] for name in files] == ["h10"]  # 11:00+01:00 is 10:00 UTC
    assert all(m.source.landing_file == "r.csv" and m.record_count == 2 for m in files.values())
    [rejects] = [p for p in (zone.root / "quarantine" / TOY.name).glob("*/rejected-*.jsonl")]
    [rejected] = [orjson.loads(line) for line in rejects.read_bytes().splitlines()]
    assert rejected["reason"] == "not a number: 'x'" and rejected["line"] == 4 and rejected["landing_file"] == "r.csv"
    archived = zone.root / outcome.stored_as
    assert archived.parent.parent == zone.archive_dir(TOY.name) and archived.read_text() == GOOD
    assert read_manifest(archived).record_count == 3  # placed + rejected
    assert intake.ledger_entry(SOURCE, zone, outcome.sha256).status == "ingested"
    drop_toy(zone, "r-again.csv", GOOD)
    assert intake.run_pass(SOURCE, zone).outcomes[0].status == "duplicate"
    assert verify_tree(zone.root).ok


def test_the_header_contract_guards_each_file(toy_zone):
    zone = toy_zone
    drop_toy(zone, "short.csv", "sensor,at\ns1,2026-03-01T10:15:00Z\n")
    drop_toy(zone, "more.csv", "sensor,at,value,unit\ns1,2026-03-01T10:15:00Z,1,kg\n")
    drop_toy(zone, "r.csv", GOOD)
    outcomes = {o.name: o for o in intake.run_pass(SOURCE, zone).outcomes}
    assert outcomes["short.csv"].reason == "missing required column(s): value"
    assert outcomes["more.csv"].reason == "unknown extra column(s): unit"
    assert outcomes["r.csv"].status == "ingested"
    keeping = replace(SOURCE, contract=replace(SOURCE.contract, keep_extra=True))
    drop_toy(zone, "more-again.csv", "sensor,at,value,unit\ns2,2026-03-01T10:15:00Z,1,kg\n")
    [kept] = intake.run_pass(keeping, zone).outcomes
    assert kept.status == "ingested" and kept.partitions == {"2026-03-01": 1}
    [event] = [orjson.loads(line) for path in zone.partition_dir(TOY.name, "2026-03-01").glob("h10-*.jsonl")
               for line in path.read_bytes().splitlines() if b"kg" in line]
    assert event["unit"] == "kg"


def test_a_failing_split_leaves_nothing_published(toy_zone, monkeypatch):
    """An error in the middle of publishing (disk full, a bug) takes back what the file already published."""
    zone = toy_zone
    drop_toy(zone, "r.csv", "sensor,at,value\ns1,2026-03-01T10:15:00Z,1\ns2,2026-03-02T10:15:00Z,2\n")
    real = manifest.open_data_file
    sealed = []

    def fails_sealing_the_second(path, **kwargs):
        handle = real(path, **kwargs)

        class Guard:
            def __enter__(self):
                return handle.__enter__()

            def __exit__(self, *exc):
                result = handle.__exit__(*exc)
                sealed.append(path)
                if len(sealed) == 2:
                    raise OSError("no space left on device")
                return result

        return Guard()

    monkeypatch.setattr(manifest, "open_data_file", fails_sealing_the_second)
    [outcome] = intake.run_pass(SOURCE, zone).outcomes
    assert outcome.status == "failed" and "no space left" in outcome.reason
    assert len(sealed) == 2 and all(not p.exists() for p in sealed)  # both published, both taken back
    assert list(complete_files(zone.partition_dir(TOY.name, "2026-03-01"))) == []
    assert (zone.landing / "toy" / "r.csv").exists()
    monkeypatch.setattr(manifest, "open_data_file", real)
    assert intake.run_pass(SOURCE, zone).outcomes[0].partitions == {"2026-03-01": 1, "2026-03-02": 1}
    assert verify_tree(zone.root).ok


def test_plan_runs_only_decides(toy_zone, tmp_path):
    zone = toy_zone
    drop_toy(zone, "r.csv", GOOD)
    intake.run_pass(SOURCE, zone)
    drop_toy(zone, "copy.csv", GOOD)
    drop_toy(zone, "new.csv", GOOD.replace("1.5", "2.5"))
    drop_toy(zone, "growing.csv", GOOD, age=0)
    (tmp_path / "target.csv").write_text(GOOD)
    os.symlink(tmp_path / "target.csv", os.path.join(zone.landing.path, "toy", "link.csv"))
    before = tree_snapshot(zone)
    plans, known = intake.plan_runs(SOURCE, zone, {})
    assert tree_snapshot(zone) == before
    by_name = {plan.name: plan for plan in plans}
    assert sorted(by_name) == ["copy.csv", "link.csv", "new.csv"]
    assert by_name["new.csv"].run_key == by_name["new.csv"].sha256
    assert by_name["copy.csv"].run_key.startswith("duplicate-") and by_name["link.csv"].sha256 == ""
    again, _ = intake.plan_runs(SOURCE, zone, json.loads(json.dumps(known)))
    assert again == []


def test_an_error_of_the_split_quarantines_that_file_and_a_redrop_is_tried_again(toy_zone, monkeypatch):
    zone = toy_zone
    real = SOURCE.splitter

    def breaks_on_sensor_s9(header, chunk, window):
        if any(text.startswith("s9,") for text in chunk.texts):
            raise ValueError("a bug this content triggers")
        return real(header, chunk, window)

    broken = replace(SOURCE, splitter=breaks_on_sensor_s9)
    content = "sensor,at,value\ns1,2026-03-01T10:15:00Z,1\ns9,2026-03-02T10:15:00Z,2\n"
    drop_toy(zone, "bad.csv", content)
    drop_toy(zone, "r.csv", GOOD)
    outcomes = {o.name: o for o in intake.run_pass(broken, zone).outcomes}
    assert outcomes["r.csv"].status == "ingested"
    bad = outcomes["bad.csv"]
    assert bad.status == "quarantined" and bad.reason == "intake error: ValueError: a bug this content triggers"
    assert (zone.root / bad.stored_as).read_text() == content
    assert [n for n in os.listdir(zone.partition_dir(TOY.name, "2026-03-01").path) if bad.sha256[:8] in n] == []
    assert os.listdir(zone.landing.path + "/toy") == []
    drop_toy(zone, "bad-again.csv", content)  # once the bug is fixed, the same bytes dropped again...
    [plan] = intake.plan_runs(SOURCE, zone, {})[0]
    assert plan.run_key.startswith("retry-")  # ...get a run of their own (the first run key is used)
    assert intake.ingest_file(SOURCE, zone, "bad-again.csv").partitions == {"2026-03-01": 1, "2026-03-02": 1}
    assert verify_tree(zone.root).ok


def test_a_split_interrupted_then_abandoned_by_its_producer_is_taken_back(toy_zone, monkeypatch):
    """A crash while publishing, and the file is then withdrawn from the landing folder: the next
    pass removes what the interrupted split had published, since nothing will ever finish it."""
    zone = toy_zone
    drop_toy(zone, "r.csv", "sensor,at,value\ns1,2026-03-01T10:15:00Z,1\ns2,2026-03-02T10:15:00Z,2\n")
    real = engine.compare_versions

    class Crash(BaseException):
        pass

    monkeypatch.setattr(engine, "compare_versions", lambda *args: (_ for _ in ()).throw(Crash()))
    with pytest.raises(Crash):
        intake.ingest_file(SOURCE, zone, "r.csv")
    monkeypatch.setattr(engine, "compare_versions", real)
    assert sum(1 for _ in complete_files(zone.partition_dir(TOY.name, "2026-03-01"))) == 1  # published
    (zone.landing / "toy" / "r.csv").unlink()  # the producer takes the file back
    assert intake.run_pass(SOURCE, zone).outcomes == []
    assert list(complete_files(zone.partition_dir(TOY.name, "2026-03-01"))) == []
    assert list(SOURCE.state_dir(zone, "inflight").glob("*.json")) == []
    assert verify_tree(zone.root).ok
