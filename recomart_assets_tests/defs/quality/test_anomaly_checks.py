"""The anomaly and drift asset checks, run through Dagster on the fixture day and a busy earlier week."""

from __future__ import annotations

import pytest
from dagster import AssetCheckSeverity, materialize

from recomart_assets import datasets
from recomart_assets.config import Settings
from recomart_assets.defs.quality.anomaly_checks import build_change_checks
from recomart_assets.quality.changes.acknowledgements import new_acknowledgement, write_acknowledgement
from recomart_assets_tests.defs.quality.test_checks import stand_in
from recomart_assets_tests.fixtures.metric_states import write_busy_clickstream_week
from recomart_assets_tests.fixtures.quality import DAY

pytestmark = pytest.mark.filterwarnings("ignore::dagster.PreviewWarning", "ignore::dagster.BetaWarning")


def evaluate(resource, settings: Settings, succeeds: bool = True) -> dict:
    result = materialize([*(stand_in(name) for name in datasets.names()), *build_change_checks(settings)], partition_key=DAY,
                         resources={"recomart": resource}, raise_on_error=False)
    assert result.success is succeeds
    return {(e.asset_key.path[0], e.check_name): e for e in result.get_asset_check_evaluations()}


def test_a_changed_day_warns_and_acknowledged_findings_pass(fixture_zone, recomart_resource):
    write_busy_clickstream_week(fixture_zone, DAY)
    evaluations = evaluate(recomart_resource, Settings.from_env({}))
    assert len(evaluations) == 2 * len(datasets.names())
    anomalies = evaluations[("clickstream", "anomalies")]
    assert not anomalies.passed and anomalies.severity == AssetCheckSeverity.WARN
    assert anomalies.metadata["judged"].value is True and anomalies.metadata["days_of_history"].value == 7
    assert "| row_count | 6 | 750 .. 1250 | 7 | warn |" in anomalies.metadata["details"].value
    drift = evaluations[("clickstream", "drift")]
    assert not drift.passed and "added session_id, search_term" in drift.metadata["details"].value
    quiet = evaluations[("transactions", "anomalies")]
    assert quiet.passed and quiet.description.startswith("not judged: 0 earlier days")

    for metric in ("row_count", "schema"):
        write_acknowledgement(fixture_zone, new_acknowledgement("clickstream", metric, "ana", "known", "2026-02-01"))
    again = evaluate(recomart_resource, Settings.from_env({}))
    assert again[("clickstream", "anomalies")].passed and again[("clickstream", "drift")].passed
    assert "acknowledged by ana until 2026-02-01" in again[("clickstream", "anomalies")].metadata["details"].value


def test_changes_can_be_made_to_block(fixture_zone, recomart_resource):
    checks = build_change_checks(Settings.from_env({"RECOMART_CHANGES_BLOCK": "1"}))
    assert all(spec.blocking for check in checks for spec in check.check_specs)
    assert not any(spec.blocking for check in build_change_checks(Settings.from_env({})) for spec in check.check_specs)
    write_busy_clickstream_week(fixture_zone, DAY)
    # a blocking check that fails with severity ERROR fails its step: the run stops what is downstream
    evaluations = evaluate(recomart_resource, Settings.from_env({"RECOMART_CHANGES_BLOCK": "1"}), succeeds=False)
    assert evaluations[("clickstream", "anomalies")].severity == AssetCheckSeverity.ERROR
