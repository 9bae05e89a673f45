"""Asset checks and the report asset, run through Dagster on the fixture raw zone."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from dagster import AssetCheckSeverity, asset, materialize

from recomart_assets import datasets
from recomart_assets.defs.quality.checks import quality_checks
from recomart_assets.defs.quality.report import data_quality_report
from recomart_assets.defs.shared.partitions import daily_partitions
from recomart_assets.quality import read_state
from recomart_assets_tests.fixtures.quality import DAY, customer_rows, write_csv

pytestmark = pytest.mark.filterwarnings("ignore::dagster.PreviewWarning", "ignore::dagster.BetaWarning")


def stand_in(name: str):
    """The raw asset's key and partitions, without its ingestion (the fixture wrote the files)."""

    @asset(name=name, partitions_def=daily_partitions)
    def _raw() -> None:
        return None

    return _raw


def test_checks_and_report_materialize(fixture_zone, recomart_resource):
    result = materialize(
        [*(stand_in(name) for name in datasets.names()), data_quality_report, *quality_checks],
        partition_key=DAY,
        resources={"recomart": recomart_resource},
    )
    assert result.success
    evaluations = {(e.asset_key.path[0], e.check_name): e for e in result.get_asset_check_evaluations()}
    assert len(evaluations) == 10
    schema = evaluations[("transactions", "schema")]
    assert not schema.passed and schema.severity == AssetCheckSeverity.WARN  # 1 bad price of 10: not mistyped
    values = evaluations[("transactions", "values")]
    assert not values.passed and values.severity == AssetCheckSeverity.ERROR
    assert values.metadata["failure_counts"].value["rating: in_range(1, 5)"] == 2
    table = values.metadata["failing_checks"].value
    assert {"check": "rating: in_range(1, 5)", "status": "fail", "failures": 2, "samples": "7"} in [
        r.data for r in table.records]
    assert evaluations[("customers", "schema")].passed
    missing = evaluations[("external_metadata", "schema")]
    assert not missing.passed and missing.severity == AssetCheckSeverity.WARN
    materialization = result.asset_materializations_for_node("data_quality_report")[0]
    assert materialization.metadata["overall_status"].value == "fail"
    assert "P000099" not in materialization.metadata["summary"].value  # summary names checks, not samples
    assert "| transactions | fail | 10 |" in materialization.metadata["summary"].value
    assert (fixture_zone.reports_dir(DAY) / "data_quality_report.pdf").exists()
    for name, path in (("html", fixture_zone.reports_dir(DAY) / "data_quality_report.html"),
                       ("index", fixture_zone.root / "reports" / "index.html")):
        assert materialization.metadata[name].value == str(path) and path.exists()
        assert materialization.metadata[f"{name}_url"].value == Path(path.path).resolve().as_uri()
    # the checks' validation is the report's: one state per dataset, the same failure counts
    report = orjson.loads((fixture_zone.reports_dir(DAY) / "data_quality_report.json").read_bytes())
    for name in datasets.names():
        state = read_state(fixture_zone, name, DAY)
        assert state is not None
        counts = {c["name"]: c["failure_count"] for c in report["datasets"][name]["checks"]}
        assert {n: c["failure_count"] for n, c in state.checks.items()} == counts
    assert counts_of(evaluations[("transactions", "values")]).items() <= {
        c["name"]: c["failure_count"] for c in report["datasets"]["transactions"]["checks"]}.items()


def counts_of(evaluation) -> dict[str, int]:
    return evaluation.metadata["failure_counts"].value


def test_missing_column_blocks_the_report(fixture_zone, recomart_resource):
    path = fixture_zone.partition_dir("customers", DAY) / f"customers_{DAY}.csv"
    path.with_name(path.name + ".manifest").unlink()
    path.unlink()
    write_csv(fixture_zone, "customers", f"customers_{DAY}.csv",
              [{k: v for k, v in row.items() if k != "email"} for row in customer_rows()])
    result = materialize(
        [*(stand_in(name) for name in datasets.names()), data_quality_report, *quality_checks],
        partition_key=DAY,
        resources={"recomart": recomart_resource},
        raise_on_error=False,
    )
    evaluations = {(e.asset_key.path[0], e.check_name): e for e in result.get_asset_check_evaluations()}
    schema = evaluations[("customers", "schema")]
    assert not schema.passed and schema.severity == AssetCheckSeverity.ERROR
    assert not result.asset_materializations_for_node("data_quality_report")
