"""The automation conditions of the real code location, evaluated tick by tick on an ephemeral
instance (Dagster's ``evaluate_automation_conditions``): what each cron, update and check result
starts, and what it leaves alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dagster import (
    AssetCheckEvaluation,
    AssetKey,
    AssetMaterialization,
    AssetRecordsFilter,
    AssetSelection,
    AutomationConditionSensorDefinition,
    DagsterInstance,
    DefaultSensorStatus,
    evaluate_automation_conditions,
)
from dagster._core.definitions.asset_checks.asset_check_evaluation import (
    AssetCheckEvaluationTargetMaterializationData,
)

from recomart_assets import datasets
from recomart_assets.definitions import defs
from recomart_assets.defs.shared.automation import LOOKBACK

DAY = "2026-03-04"
DAY_AFTER = "2026-03-05"
REPORT = "data_quality_report"


def at(day: str, clock: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=UTC)


class Ticks:
    """Successive evaluations of every condition, each one carrying the cursor of the last."""

    def __init__(self, selection: AssetSelection | None = None):
        self.instance = DagsterInstance.ephemeral()
        self.selection = selection
        self.cursor = None

    def __call__(self, when: datetime) -> dict[str, set[str]]:
        """Evaluate at ``when``; returns what was requested: asset or ``asset:check`` -> partitions."""
        result = evaluate_automation_conditions(defs, self.instance, asset_selection=self.selection,
                                                evaluation_time=when, cursor=self.cursor)
        self.cursor = result.cursor
        requested = {}
        for evaluation in result.results:
            if evaluation.true_subset.size:
                key = evaluation.key
                name = key.to_user_string() if isinstance(key, AssetKey) else f"{key.asset_key.to_user_string()}:{key.name}"
                requested[name] = evaluation.true_subset.expensively_compute_partition_keys()
        return requested

    def materialized(self, dataset: str, day: str) -> None:
        """A materialization recorded outside a run of this check (as a landing run reports it)."""
        self.instance.report_runless_asset_event(AssetMaterialization(dataset, partition=day))

    def checked(self, dataset: str, day: str, *, schema_passed: bool = True) -> None:
        """Both checks of ``dataset`` evaluated on its latest materialization of ``day``."""
        [latest] = self.instance.fetch_materializations(
            AssetRecordsFilter(AssetKey(dataset), asset_partitions=[day]), limit=1
        ).records
        target = AssetCheckEvaluationTargetMaterializationData(
            storage_id=latest.storage_id, run_id=latest.run_id, timestamp=latest.timestamp
        )
        for check, passed in (("schema", schema_passed), ("values", True)):
            self.instance.report_runless_asset_event(AssetCheckEvaluation(
                AssetKey(dataset), check, passed=passed, partition=day, target_materialization_data=target
            ))


# The partitioned checks of every raw dataset: its validation, and what changed against earlier days.
CHECKS = ("schema", "values", "anomalies", "drift")


def with_checks(dataset: str, day: str) -> dict[str, set[str]]:
    return {dataset: {day}, **{f"{dataset}:{check}": {day} for check in CHECKS}}


def test_pulled_sources_run_once_on_their_cron_for_today():
    tick = Ticks()
    assert tick(at(DAY, "05:59")) == {}
    assert tick(at(DAY, "06:01")) == with_checks("external_metadata", DAY)
    assert tick(at(DAY, "06:02")) == {}
    assert tick(at(DAY, "23:46")) == with_checks("product_catalog", DAY) | with_checks("customers", DAY)
    assert tick(at(DAY, "23:47")) == {}


def test_an_update_outside_the_checks_run_checks_it_within_the_lookback():
    tick = Ticks()
    assert tick(at(DAY, "12:00")) == {}
    recent = (datetime.fromisoformat(DAY) - timedelta(days=2)).date().isoformat()
    too_old = (datetime.fromisoformat(DAY) - LOOKBACK - timedelta(days=1)).date().isoformat()
    tick.materialized("transactions", recent)
    tick.materialized("transactions", too_old)
    # The other datasets of that day are missing: the report waits.
    assert tick(at(DAY, "12:01")) == {f"transactions:{check}": {recent} for check in CHECKS}
    assert tick(at(DAY, "12:02")) == {}
    for dataset in datasets.names():
        tick.materialized(dataset, DAY)
    # One run per day: the checks, then the report (held back by the run if a blocking check fails).
    expected = {f"{dataset}:{check}": {DAY} for dataset in datasets.names() for check in CHECKS}
    expected["clickstream:kafka_log_continuity"] = {DAY}  # the clickstream asset's own check
    assert tick(at(DAY, "12:03")) == expected | {REPORT: {DAY}}


def test_the_report_runs_once_every_dataset_of_the_day_passed_its_blocking_check():
    # Only the report is evaluated, so checks count as what they are, not as about to run.
    tick = Ticks(AssetSelection.assets(REPORT))
    assert tick(at(DAY_AFTER, "00:10")) == {}
    for dataset in datasets.names():
        tick.materialized(dataset, DAY)
        tick.checked(dataset, DAY)
    assert tick(at(DAY_AFTER, "00:20")) == {REPORT: {DAY}}
    assert tick(at(DAY_AFTER, "00:30")) == {}
    tick.materialized("transactions", DAY)  # a late landing file: its check has not run on it yet
    assert tick(at(DAY_AFTER, "00:40")) == {}


def test_a_failed_or_pending_schema_check_holds_the_report_back():
    tick = Ticks(AssetSelection.assets(REPORT))
    assert tick(at(DAY_AFTER, "00:10")) == {}
    for dataset in datasets.names():
        tick.materialized(dataset, DAY)
        if dataset != "transactions":
            tick.checked(dataset, DAY)
    assert tick(at(DAY_AFTER, "00:20")) == {}
    tick.checked("transactions", DAY, schema_passed=False)
    assert tick(at(DAY_AFTER, "00:30")) == {}


def test_the_report_of_a_day_waits_for_its_clickstream_seal():
    tick = Ticks(AssetSelection.assets(REPORT))
    assert tick(at(DAY, "23:50")) == {}
    for dataset in set(datasets.names()) - {"clickstream"}:
        tick.materialized(dataset, DAY)
        tick.checked(dataset, DAY)
    assert tick(at(DAY, "23:55")) == {}


def test_one_automation_sensor_covers_every_asset_and_check_and_runs_from_the_start():
    repo = defs.get_repository_def()
    [sensor] = [s for s in repo.sensor_defs if isinstance(s, AutomationConditionSensorDefinition)]
    assert sensor.default_status == DefaultSensorStatus.RUNNING
    graph = repo.asset_graph
    assert sensor.asset_selection.resolve(graph) == graph.materializable_asset_keys
    assert sensor.asset_selection.resolve_checks(graph) == graph.asset_check_keys
