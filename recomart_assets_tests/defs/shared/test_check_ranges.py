"""Partitioned checks in a range run (a single-run backfill): one evaluation per day, the run succeeds."""

from __future__ import annotations

import pytest
from dagster import AssetCheckResult, AssetCheckSeverity, DagsterInstance, materialize

from recomart_assets.defs.quality.anomaly_checks import change_checks
from recomart_assets.defs.quality.checks import dataset_checks
from recomart_assets.defs.shared.check_ranges import evaluation_of
from recomart_assets.defs.transactions.assets import transactions
from recomart_assets.lake import intake
from recomart_assets.sources.transactions import LANDING
from recomart_assets_tests.fixtures.landing import csv_text, drop, row

RANGE = {"dagster/asset_partition_range_start": "2026-03-01", "dagster/asset_partition_range_end": "2026-03-02"}


def test_a_range_run_records_each_days_check_evaluations(zone, recomart_resource):
    drop(zone, "a.csv", csv_text([row(i, f"2026-03-0{1 + i % 2}T01:{i:02d}:00Z") for i in range(6)]))
    intake.run_pass(LANDING, zone)
    result = materialize(
        [transactions, dataset_checks("transactions"), change_checks("transactions", block=False)],
        resources={"recomart": recomart_resource}, instance=DagsterInstance.ephemeral(), tags=RANGE,
    )
    assert result.success
    evaluations = {(e.check_name, e.partition) for e in result.get_asset_check_evaluations()}
    assert evaluations == {(name, day) for name in ("schema", "values", "anomalies", "drift")
                           for day in ("2026-03-01", "2026-03-02")}
    schema = [e for e in result.get_asset_check_evaluations() if e.check_name == "schema"]
    assert all(e.passed and e.blocking for e in schema)


def test_a_result_becomes_the_evaluation_of_its_day():
    result = AssetCheckResult(asset_key="transactions", check_name="values", passed=False,
                              severity=AssetCheckSeverity.WARN, metadata={"rows": 3}, description="d")
    evaluation = evaluation_of(result, "2026-03-02", blocking=False)
    assert (evaluation.partition, evaluation.passed, evaluation.severity, evaluation.description) == (
        "2026-03-02", False, AssetCheckSeverity.WARN, "d")
    assert evaluation.metadata["rows"].value == 3 and evaluation.asset_key.to_user_string() == "transactions"
    with pytest.raises(ValueError, match="name its asset and check"):
        evaluation_of(AssetCheckResult(passed=True), "2026-03-02", blocking=False)
