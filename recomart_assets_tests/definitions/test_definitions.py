"""The whole code location loads, and its asset graph matches the committed snapshot.

Any change to asset keys, partitions, dependencies, groups, checks, sensors, schedules or jobs
shows up here as a diff. After an intended change: ``pytest --update-snapshots`` and commit.
"""

import json
from pathlib import Path

from dagster import Definitions

from recomart_assets.definitions import defs

SNAPSHOT = Path(__file__).with_name("definitions_snapshot.json")


def _graph_snapshot(definitions: Definitions) -> dict:
    repo = definitions.get_repository_def()
    asset_graph = repo.asset_graph
    assets = {}
    for key in sorted(asset_graph.get_all_asset_keys()):
        node = asset_graph.get(key)
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "partitions": type(node.partitions_def).__name__ if node.partitions_def else None,
            "deps": sorted(dep.to_user_string() for dep in node.parent_keys),
            "checks": sorted(check.name for check in node.check_keys),
            "kinds": sorted(node.kinds),
        }
    return {
        "assets": assets,
        "jobs": sorted(job.name for job in repo.get_all_jobs() if not job.name.startswith("__")),
        "sensors": sorted(sensor.name for sensor in repo.sensor_defs),
        "schedules": sorted(schedule.name for schedule in repo.schedule_defs),
        "resources": sorted(repo.get_top_level_resources()),
    }


def test_definitions_load_and_match_snapshot(request):
    snapshot = _graph_snapshot(defs)
    if request.config.getoption("--update-snapshots") or not SNAPSHOT.exists():
        SNAPSHOT.write_text(json.dumps(snapshot, indent=2, sort_keys=True) + "\n")
    assert snapshot == json.loads(SNAPSHOT.read_text())


def test_every_raw_dataset_is_daily_partitioned():
    snapshot = _graph_snapshot(defs)
    for name, spec in snapshot["assets"].items():
        assert spec["partitions"] == "DailyPartitionsDefinition", name
