"""The clickstream exports' sensor (decides only) and run (lands one export); sealing lands none."""

from __future__ import annotations

from dagster import DagsterInstance, build_sensor_context, materialize

from recomart_assets.defs.clickstream.assets import SealConfig, clickstream
from recomart_assets.defs.clickstream.exports import clickstream_exports_job, clickstream_exports_sensor
from recomart_assets.lake import complete_files, verify_tree
from recomart_assets_tests.fixtures.landing import drop, tree_snapshot

DAY = "2026-03-01"
EXPORT = (
    "user_id,product_id,event_type,timestamp,device\n"
    "C000001,P000010,view,2026-03-01T10:15:00+00:00,web\n"
    "C000002,P000011,click,2026-03-01T11:20:00+00:00,ios\n"
)


def tick(recomart_resource, cursor=None):
    return clickstream_exports_sensor(build_sensor_context(cursor=cursor, resources={"recomart": recomart_resource}))


def day_files(zone) -> list[str]:
    return [path.name for path, _ in complete_files(zone.partition_dir("clickstream", DAY), "*.jsonl")]


def test_sensor_decides_and_the_run_lands_the_export(zone, recomart_resource):
    drop(zone, "app.csv", EXPORT, folder="clickstream")
    drop(zone, "app-copy.csv.part", EXPORT, folder="clickstream")
    before = tree_snapshot(zone)
    first = tick(recomart_resource)
    assert tree_snapshot(zone) == before  # a tick, previewed or not, moves nothing
    [request] = first.run_requests
    assert request.run_config["ops"]["land_clickstream_export"]["config"]["file_name"] == "app.csv"
    assert len(request.run_key) == 64
    assert tick(recomart_resource, first.cursor).run_requests == []
    result = clickstream_exports_job.execute_in_process(
        run_config=request.run_config, resources={"recomart": recomart_resource}, instance=DagsterInstance.ephemeral()
    )
    assert result.success
    assert [name[:3] for name in day_files(zone)] == ["h10", "h11"]
    assert not (zone.clickstream_landing / "app.csv").exists()
    assert verify_tree(zone.root).ok


def test_sealing_a_day_no_longer_lands_exports(zone, recomart_resource):
    drop(zone, "app.csv", EXPORT, folder="clickstream")
    result = materialize([clickstream], partition_key=DAY, resources={"recomart": recomart_resource},
                         run_config={"ops": {"clickstream": {"config": SealConfig(force=True).model_dump()}}})
    assert result.success
    assert (zone.clickstream_landing / "app.csv").exists() and day_files(zone) == []
