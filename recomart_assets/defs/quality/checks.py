"""Dagster asset checks: every raw dataset's pandera schema, evaluated per daily partition.

Each raw asset gets two checks, computed in one pass over the partition:

* ``schema`` (blocking, severity ERROR): the columns are there, no unexpected ones, and the typed
  columns parse. A failure stops downstream assets in the same run.
* ``values``: missing values, duplicates, ranges, formats, the partition day and the cross-table
  references. WARN while every failure stays within its threshold, ERROR above it.

Raw assets are referenced by key only, so this module does not import their definitions. A
dataset missing for the day fails both checks with severity WARN (reported, not blocking). The
validation writes the partition's metric state, which ``data_quality_report`` then reads instead of
validating again (one validation per dataset and day per run). A partition larger than
``RECOMART_SPARK_THRESHOLD_BYTES`` is validated by ``spark-submit`` through Dagster Pipes
(:mod:`.spark_pipes`), judged here by the same code.
"""


from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    MetadataValue,
    TableColumn,
    TableRecord,
    TableSchema,
    multi_asset_check,
)

from recomart_assets import datasets
from recomart_assets.defs.quality.spark_pipes import validate_on_spark
from recomart_assets.defs.shared.automation import check_after_update
from recomart_assets.defs.shared.check_ranges import per_partition
from recomart_assets.defs.shared.partitions import daily_partitions
from recomart_assets.defs.shared.resources import RecomartResource
from recomart_assets.quality.engine_choice import SPARK, engine_for, partition_bytes
from recomart_assets.quality.rules.checks import DEFAULT_FAIL_RATE, CheckResult, DatasetValidation, worst
from recomart_assets.quality.validation import validate

SCHEMA_CHECK = "schema"
VALUES_CHECK = "values"

_FAILURES_SCHEMA = TableSchema(columns=[
    TableColumn("check", "string"),
    TableColumn("status", "string"),
    TableColumn("failures", "int"),
    TableColumn("samples", "string"),
])


def check_metadata(validation: DatasetValidation, checks: list[CheckResult]) -> dict:
    """Failure counts per check and a table of the failing ones with sample values."""
    failing = [c for c in checks if c.status != "pass"]
    return {
        "partition_status": validation.status,
        "rows": validation.row_count,
        "failed_rows": validation.failed_rows,
        "failure_counts": MetadataValue.json({c.name: c.failure_count for c in checks}),
        "failing_checks": MetadataValue.table(
            records=[
                TableRecord({"check": c.name, "status": c.status, "failures": c.failure_count,
                             "samples": "; ".join(c.samples) or (c.detail or "")})
                for c in failing
            ],
            schema=_FAILURES_SCHEMA,
        ),
    }


def check_result(dataset: str, name: str, validation: DatasetValidation, checks: list[CheckResult],
                 failing_severity: AssetCheckSeverity) -> AssetCheckResult:
    """One check's result from its rule results: a failing rule takes ``failing_severity``, a missing partition only warns."""
    status = worst(c.status for c in checks)
    if validation.status == "missing":
        severity = AssetCheckSeverity.WARN
    elif status == "fail":
        severity = failing_severity
    else:
        severity = AssetCheckSeverity.WARN
    return AssetCheckResult(
        asset_key=AssetKey(dataset), check_name=name, passed=status == "pass" and validation.status != "missing",
        severity=severity, metadata=check_metadata(validation, checks),
    )


def validated(context: AssetCheckExecutionContext, recomart: RecomartResource, dataset: str, day: str
              ) -> DatasetValidation:
    """The ``day`` of ``dataset`` validated (and its state written): in process with DuckDB, or above the
    Spark threshold by ``spark-submit`` through Dagster Pipes (:mod:`.spark_pipes`)."""
    zone, settings = recomart.zone(), recomart.settings()
    size = partition_bytes(zone, dataset, day)
    engine = engine_for(size, settings.spark_threshold_bytes)
    if engine == SPARK:
        context.log.info("%s %s: %d bytes, above the Spark threshold (%d): spark-submit --master %s", dataset, day,
                         size, settings.spark_threshold_bytes, settings.spark_master)
        return validate_on_spark(context, zone, dataset, day, size, settings, DEFAULT_FAIL_RATE)
    return validate(zone, dataset, day, engine=engine).validation


def dataset_checks(dataset: str) -> AssetChecksDefinition:
    """The pandera-derived checks of one dataset (schema, values, references), evaluated in one validation pass per day."""
    key = AssetKey(dataset)

    specs = [
        AssetCheckSpec(SCHEMA_CHECK, asset=key, blocking=True, partitions_def=daily_partitions,
                       automation_condition=check_after_update(),
                       description="Columns present, no unexpected columns, typed columns parse."),
        AssetCheckSpec(VALUES_CHECK, asset=key, partitions_def=daily_partitions,
                       automation_condition=check_after_update(),
                       description="Missing values, duplicates, ranges, formats, partition day, references."),
    ]

    @multi_asset_check(name=f"{dataset}_quality_checks", specs=specs,
                       description=f"pandera validation of one {dataset} partition.")
    def _checks(context: AssetCheckExecutionContext, recomart: RecomartResource):
        def evaluate(day: str) -> list[AssetCheckResult]:
            validation = validated(context, recomart, dataset, day)
            context.log.info("%s %s: %s, %d rows", dataset, day, validation.status, validation.row_count)
            schema = [c for c in validation.checks if c.group == "schema"]
            values = [c for c in validation.checks if c.group != "schema"]
            return [check_result(dataset, SCHEMA_CHECK, validation, schema, AssetCheckSeverity.ERROR),
                    check_result(dataset, VALUES_CHECK, validation, values, AssetCheckSeverity.ERROR)]

        yield from per_partition(context, specs, evaluate)

    return _checks


quality_checks = [dataset_checks(dataset) for dataset in datasets.names()]
