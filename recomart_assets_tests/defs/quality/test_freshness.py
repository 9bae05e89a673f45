"""Dagster's freshness checks on the spec deadlines: which builder per source, overrides, and a
partition-aware check that fails before its partition arrives and passes after."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from dagster import DagsterInstance, Definitions, materialize
from dagster._core.test_utils import freeze_time

from recomart_assets import datasets
from recomart_assets.config import Settings
from recomart_assets.defs.quality.freshness import build_freshness_checks, build_freshness_sensor
from recomart_assets.errors import ConfigError
from recomart_assets_tests.defs.quality.test_checks import stand_in

pytestmark = pytest.mark.filterwarnings("ignore::dagster.PreviewWarning", "ignore::dagster.BetaWarning",
                                        "ignore::dagster.SupersessionWarning")


def params(checks) -> dict[str, dict]:
    found = {}
    for check in checks:
        (spec,) = check.check_specs
        found[spec.asset_key.path[0]] = spec.metadata["dagster/freshness_params"].value
    return found


def test_one_check_per_source_on_its_deadline():
    checks = build_freshness_checks(Settings.from_env({}))
    by_source = params(checks)
    assert set(by_source) == set(datasets.names())
    assert by_source["external_metadata"]["deadline_cron"] == "0 7 * * *"
    assert by_source["clickstream"] == {"deadline_cron": "0 2 * * *", "lower_bound_delta_seconds": 86400.0,
                                        "timezone": "UTC"}  # sealed once the day is over: any seal in 24 h
    moved = params(build_freshness_checks(Settings.from_env(
        {"RECOMART_FRESHNESS_DEADLINES": "clickstream=03:30,transactions=13:00"})))
    assert moved["clickstream"]["deadline_cron"] == "30 3 * * *" and moved["transactions"]["deadline_cron"] == "0 13 * * *"
    assert build_freshness_sensor(checks).name == "freshness_checks_sensor"
    with pytest.raises(ConfigError, match="RECOMART_FRESHNESS_DEADLINES"):
        build_freshness_checks(Settings.from_env({"RECOMART_FRESHNESS_DEADLINES": "clicks=03:00"}))


def test_todays_metadata_is_overdue_after_seven_until_it_arrives():
    checks = [c for c in build_freshness_checks(Settings.from_env({}))
              if c.check_specs and next(iter(c.check_specs)).asset_key.path[0] == "external_metadata"]
    metadata = stand_in("external_metadata")
    job = Definitions(assets=[metadata], asset_checks=checks).resolve_implicit_global_asset_job_def()
    instance = DagsterInstance.ephemeral()

    def fresh() -> bool:
        result = job.execute_in_process(instance=instance, asset_selection=[], raise_on_error=False)
        (evaluation,) = result.get_asset_check_evaluations()
        return evaluation.passed

    with freeze_time(datetime(2026, 3, 10, 7, 30, tzinfo=UTC)):
        assert not fresh()
        assert materialize([metadata], partition_key="2026-03-10", instance=instance).success
        assert fresh()
