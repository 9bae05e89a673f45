"""The whole code location loads, and its shape matches the committed syrupy snapshot.

Any change to asset keys, descriptions, metadata, partitions, dependencies, groups, check specs,
sensors, schedules or job selections shows up here as a diff. After an intended change run
``pytest --snapshot-update`` and commit ``__snapshots__/``; syrupy never writes a missing
baseline on its own, so deleting it fails the test.
"""

import os
import subprocess
import sys

from dagster import Definitions

from recomart_assets import datasets
from recomart_assets.definitions import defs


def _value(value):
    return getattr(value, "value", value) if not isinstance(value, (str, int, float, bool)) else value


def _graph_snapshot(definitions: Definitions) -> dict:
    repo = definitions.get_repository_def()
    asset_graph = repo.asset_graph
    assets = {}
    for key in sorted(asset_graph.get_all_asset_keys()):
        node = asset_graph.get(key)
        assets[key.to_user_string()] = {
            "description": node.description,
            "group": node.group_name,
            "partitions": type(node.partitions_def).__name__ if node.partitions_def else None,
            "deps": sorted(dep.to_user_string() for dep in node.parent_keys),
            "kinds": sorted(node.kinds),
            "metadata": {k: repr(_value(v)) for k, v in sorted(node.metadata.items())},
            "automation_condition": node.automation_condition.get_label() if node.automation_condition else None,
            "backfill_policy": str(node.backfill_policy.policy_type.value) if node.backfill_policy else None,
        }
    checks = {}
    for check_key in sorted(asset_graph.asset_check_keys, key=lambda k: (k.asset_key.to_user_string(), k.name)):
        spec = asset_graph.get_check_spec(check_key)
        checks[f"{check_key.asset_key.to_user_string()}:{check_key.name}"] = {
            "description": spec.description,
            "blocking": spec.blocking,
            "automation_condition": spec.automation_condition.get_label() if spec.automation_condition else None,
        }
    jobs = {}
    for job in repo.get_all_jobs():
        if job.name.startswith("__"):
            continue
        jobs[job.name] = sorted(k.to_user_string() for k in job.asset_layer.selected_asset_keys) or ["<op job>"]
    pools = {node.name: node.pool for job in repo.get_all_jobs() for node in job.graph.node_defs
             if getattr(node, "pool", None)}
    return {
        "pools": dict(sorted(pools.items())),
        "assets": assets,
        "checks": checks,
        "jobs": jobs,
        "sensors": sorted(sensor.name for sensor in repo.sensor_defs),
        "schedules": sorted(schedule.name for schedule in repo.schedule_defs),
        "resources": sorted(repo.get_top_level_resources()),
    }


def test_definitions_load_and_match_snapshot(snapshot):
    assert _graph_snapshot(defs) == snapshot


def test_every_raw_dataset_is_daily_partitioned():
    for name, spec in _graph_snapshot(defs)["assets"].items():
        assert spec["partitions"] == "DailyPartitionsDefinition", name


def test_every_dataset_spec_has_an_asset_and_every_raw_asset_a_spec():
    assets = {key.to_user_string() for key in defs.resolve_asset_graph().get_all_asset_keys()}
    raw_assets = assets - {"data_quality_report"}
    assert raw_assets == set(datasets.names())


def test_loading_the_definitions_does_not_import_matplotlib():
    """Code servers and the runs of every asset load the definitions; only a report draws (see
    ``quality/report/findings.py``). A fresh interpreter, since this one may have drawn already."""
    code = "import sys, recomart_assets.definitions; print(sorted({'matplotlib', 'pypdf'} & set(sys.modules)))"
    done = subprocess.run([sys.executable, "-W", "ignore", "-c", code], capture_output=True, text=True, timeout=120,
                          check=True)
    assert done.stdout.strip() == "[]"


def test_one_bad_variable_does_not_stop_the_code_location_loading():
    """Nothing under ``defs/`` reads the environment at import; the settings read at load treat an
    unusable variable as unset (with a warning naming it), and runs read them again and fail."""
    code = ("from recomart_assets.definitions import defs; "
            "print(len(defs.resolve_asset_graph().get_all_asset_keys()))")
    environ = {**os.environ, "RECOMART_CLOCK_SKEW_SECONDS": "abc"}
    done = subprocess.run([sys.executable, "-W", "ignore", "-c", code], capture_output=True, text=True, timeout=120,
                          env=environ)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.strip()) == len(defs.resolve_asset_graph().get_all_asset_keys())
    assert "RECOMART_CLOCK_SKEW_SECONDS" in done.stderr
