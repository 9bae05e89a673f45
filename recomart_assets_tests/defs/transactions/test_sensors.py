"""The Dagster side: sensor cursor, per-file runs that materialize ``transactions``, and backfills
that re-derive from the archive."""

from __future__ import annotations

import json
import os

from dagster import DagsterInstance, build_sensor_context, materialize

from recomart_assets.defs.transactions.assets import transactions
from recomart_assets.defs.transactions.jobs import LANDING_JOB
from recomart_assets.defs.transactions.sensors import ingest_landing_once, landing_job, transactions_landing_sensor
from recomart_assets.lake import intake, verify_tree
from recomart_assets.sources.transactions import LANDING
from recomart_assets_tests.fixtures.landing import (
    csv_text,
    drop,
    partition_digests,
    partition_records,
    row,
    tree_snapshot,
)

ROWS = [row(i, f"2026-03-0{1 + i % 3}T{i % 24:02d}:30:00+05:30") for i in range(60)]


def tick(recomart_resource, cursor=None):
    context = build_sensor_context(cursor=cursor, resources={"recomart": recomart_resource})
    return transactions_landing_sensor(context)


def landing_file(request) -> str:
    return request.run_config["ops"]["transactions"]["config"]["landing_file"]


def run_requested(request, recomart_resource, instance=None):
    return landing_job(recomart_resource).execute_in_process(
        run_config=request.run_config, instance=instance or DagsterInstance.ephemeral()
    )


def test_sensor_requests_one_run_per_new_file_keyed_by_sha256(zone, recomart_resource):
    drop(zone, "a.csv", csv_text(ROWS))
    first = tick(recomart_resource)
    [request] = first.run_requests
    assert landing_file(request) == "a.csv"
    assert len(request.run_key) == 64 and request.run_key == request.tags["recomart/sha256"]
    second = tick(recomart_resource, first.cursor)
    assert second.run_requests == [] and second.cursor == first.cursor
    drop(zone, "b.csv", csv_text(ROWS[:5]))
    third = tick(recomart_resource, second.cursor)
    assert [landing_file(r) for r in third.run_requests] == ["b.csv"]
    assert set(json.loads(third.cursor)) == {"a.csv", "b.csv"}


def test_sensor_waits_for_files_still_being_written(zone, recomart_resource):
    drop(zone, "growing.csv", csv_text(ROWS), age=0)
    drop(zone, "upload.csv.part", csv_text(ROWS))
    first = tick(recomart_resource)
    assert first.run_requests == [] and json.loads(first.cursor) == {}
    past = os.path.getmtime(os.path.join(zone.landing.path, "growing.csv")) - 60
    os.utime(os.path.join(zone.landing.path, "growing.csv"), (past, past))
    assert len(tick(recomart_resource, first.cursor).run_requests) == 1


def test_run_materializes_every_partition_the_file_touched(zone, recomart_resource):
    drop(zone, "a.csv", csv_text(ROWS))
    [request] = tick(recomart_resource).run_requests
    instance = DagsterInstance.ephemeral()
    result = run_requested(request, recomart_resource, instance)
    assert result.success
    events = result.get_asset_materialization_events()
    touched = {e.materialization.partition: e.materialization.metadata["records_from_file"].value for e in events}
    assert touched == partition_records(zone) == {"2026-02-28": 6, "2026-03-01": 20, "2026-03-02": 17,
                                                  "2026-03-03": 17}
    assert {e.materialization.metadata["sha256"].value for e in events} == {request.run_key}
    # The run is a materialization of the asset itself (an asset job), not of an op job's events.
    assert {e.asset_key for e in events} == {transactions.key}
    assert instance.get_materialized_partitions(transactions.key) == set(touched)
    assert result.dagster_run.job_name == LANDING_JOB


def test_identical_drop_under_another_name_is_never_run_twice(zone, recomart_resource):
    drop(zone, "a.csv", csv_text(ROWS))
    first = tick(recomart_resource)
    drop(zone, "copy-of-a.csv", csv_text(ROWS))
    pending = tick(recomart_resource, first.cursor)
    assert pending.run_requests == []  # same content as a pending run: it waits
    assert run_requested(first.run_requests[0], recomart_resource).success
    # Now the content is in the ledger: the copy gets a run of its own, which sets it aside.
    [set_aside] = tick(recomart_resource, pending.cursor).run_requests
    assert landing_file(set_aside) == "copy-of-a.csv" and set_aside.run_key != first.run_requests[0].run_key
    assert (zone.landing / "copy-of-a.csv").exists()  # the tick decided; the run moves it
    result = run_requested(set_aside, recomart_resource)
    assert result.success and result.get_asset_materialization_events() == []
    after = tick(recomart_resource, pending.cursor)
    assert after.run_requests == [] and json.loads(after.cursor) == {}
    assert list(zone.landing.glob("*.csv")) == []
    assert len(list((zone.archive_dir("transactions") / "duplicates").glob("*/*.csv"))) == 1
    assert sum(partition_records(zone).values()) == len(ROWS)


def test_sensor_refuses_links_and_keeps_going(zone, recomart_resource, tmp_path):
    target = tmp_path / "elsewhere.csv"
    target.write_text(csv_text(ROWS))
    os.symlink(target, os.path.join(zone.landing.path, "link.csv"))
    drop(zone, "a.csv", csv_text(ROWS[:3]))
    result = tick(recomart_resource)
    assert sorted(landing_file(r) for r in result.run_requests) == ["a.csv", "link.csv"]
    assert os.path.lexists(os.path.join(zone.landing.path, "link.csv"))  # the tick only decided
    for request in result.run_requests:
        assert run_requested(request, recomart_resource).success
    assert target.exists() and not os.path.lexists(os.path.join(zone.landing.path, "link.csv"))
    assert list((zone.root / "quarantine" / "transactions").glob("*/refused_link.csv_*.reason.json"))
    assert partition_records(zone) == {"2026-02-28": 1, "2026-03-01": 1, "2026-03-02": 1}
    again = tick(recomart_resource, result.cursor)
    assert again.run_requests == []


def test_a_preview_tick_changes_nothing_on_disk(zone, recomart_resource, tmp_path):
    """Whatever the landing folder holds, evaluating the sensor only decides: not a byte moves."""
    drop(zone, "a.csv", csv_text(ROWS))
    drop(zone, "broken.csv", b"\x00\x01")
    drop(zone, "growing.csv", csv_text(ROWS), age=0)
    drop(zone, "odd name; $(x).csv", csv_text(ROWS[:2]))
    target = tmp_path / "elsewhere.csv"
    target.write_text(csv_text(ROWS))
    os.symlink(target, os.path.join(zone.landing.path, "link.csv"))
    intake.run_pass(LANDING, zone)  # a ledger with earlier contents...
    drop(zone, "again.csv", csv_text(ROWS))  # ...and a copy of one of them
    os.symlink(target, os.path.join(zone.landing.path, "link.csv"))
    drop(zone, "new.csv", csv_text(ROWS[:4]))
    before = tree_snapshot(zone)
    result = tick(recomart_resource)
    assert sorted(landing_file(r) for r in result.run_requests) == ["again.csv", "link.csv", "new.csv"]
    assert tree_snapshot(zone) == before


def test_backfill_rederives_partitions_byte_identically(zone, recomart_resource, small_chunks):
    drop(zone, "a.csv", csv_text(ROWS))
    drop(zone, "b.csv", csv_text([row(100 + i, f"2026-03-02T0{i}:00:00Z") for i in range(5)]))
    intake.run_pass(LANDING, zone)
    before = partition_digests(zone)
    for path in (zone.root / "transactions").glob("*/ingested_*"):
        path.unlink()
    single = materialize([transactions], partition_key="2026-03-02", resources={"recomart": recomart_resource})
    assert single.success
    assert partition_records(zone) == {"2026-03-02": 22}
    ranged = materialize(
        [transactions], resources={"recomart": recomart_resource},
        tags={"dagster/asset_partition_range_start": "2026-02-28", "dagster/asset_partition_range_end": "2026-03-03"},
    )
    assert ranged.success
    assert partition_digests(zone) == before
    assert verify_tree(zone.root).ok


def test_ingest_landing_once_runs_the_sensor_path_in_process(zone, recomart_resource):
    drop(zone, "a.csv", csv_text(ROWS))
    drop(zone, "broken.csv", b"\x00\x01")
    instance = DagsterInstance.ephemeral()
    ingested = ingest_landing_once(instance, recomart_resource)
    assert ingested == {"a.csv": partition_records(zone), "broken.csv": {}}
    assert instance.get_materialized_partitions(transactions.key) == set(partition_records(zone))


def test_any_name_gets_its_run_and_control_characters_a_refusal(zone, recomart_resource):
    drop(zone, "Bestellungen_München.csv", csv_text(ROWS[:2]))
    drop(zone, "Orders Nov 20.csv", csv_text(ROWS[2:4]))
    drop(zone, "new\nline.csv", csv_text(ROWS[4:6]))
    undecodable = os.fsencode(zone.landing.path) + b"/n\xe4me.csv"  # Latin-1 bytes, not UTF-8
    with open(undecodable, "wb") as handle:
        handle.write(csv_text(ROWS[6:8]).encode())
    os.utime(undecodable, (0, 0))
    requests = tick(recomart_resource).run_requests
    by_name = {landing_file(r): r for r in requests}
    assert sorted(by_name) == ["Bestellungen_München.csv", "Orders Nov 20.csv", "n\\xe4me.csv", "new\nline.csv"]
    assert by_name["new\nline.csv"].run_key.startswith("refuse-name-")
    assert by_name["n\\xe4me.csv"].run_key.startswith("refuse-name-")
    by_name["n\\xe4me.csv"].run_config["ops"]["transactions"]["config"]["landing_file"].encode()  # valid UTF-8
    assert by_name["Bestellungen_München.csv"].tags["recomart/landing_file"] == "Bestellungen_München.csv"
    instance = DagsterInstance.ephemeral()
    for request in requests:
        assert run_requested(request, recomart_resource, instance).success
    assert sum(partition_records(zone).values()) == 4
    assert os.listdir(zone.landing.path) == ["clickstream"]
    assert list((zone.root / "quarantine" / "transactions").glob("*/refused_new_line.csv_*.reason.json"))
    assert list((zone.root / "quarantine" / "transactions").glob("*/refused_n_me.csv_*.reason.json"))


def test_a_replacing_version_rematerializes_the_days_it_corrected(zone, recomart_resource):
    drop(zone, "daily.csv", csv_text(ROWS[:6]))
    instance = DagsterInstance.ephemeral()
    first = tick(recomart_resource)
    assert run_requested(first.run_requests[0], recomart_resource, instance).success
    drop(zone, "daily.csv.replace", csv_text([row(1, "2026-03-02T10:00:00Z")]))
    [request] = tick(recomart_resource, first.cursor).run_requests
    result = run_requested(request, recomart_resource, instance)
    [event] = result.get_asset_materialization_events()
    metadata = event.materialization.metadata
    assert event.materialization.partition == "2026-03-02"
    assert metadata["replaced_previous_version"].value is True
    assert metadata["previous_version"].value == first.run_requests[0].run_key
    assert metadata["dagster/row_count"].value == partition_records(zone)["2026-03-02"] == 1
