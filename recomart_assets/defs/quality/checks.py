"""Dagster asset checks: every raw dataset's pandera schema, evaluated per daily partition.

Each raw asset gets two checks, computed in one pass over the partition:

* ``schema`` (blocking, severity ERROR): the columns are there, no unexpected ones, and the typed
  columns parse. A failure stops downstream assets in the same run.
* ``values``: missing values, duplicates, ranges, formats, the partition day and the cross-table
  references. WARN while every failure stays within its threshold, ERROR above it.

Raw assets are referenced by key only, so this module does not import their definitions. A
dataset missing for the day fails both checks with severity WARN (reported, not blocking). The
validation writes the partition's metric state, which ``data_quality_report`` then reads instead of
validating again (one validation per dataset and day per run).
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
from recomart_assets.defs.shared.automation import check_after_update
from recomart_assets.defs.shared.check_ranges import per_partition
from recomart_assets.defs.shared.partitions import daily_partitions
from recomart_assets.defs.shared.resources import RecomartResource
from recomart_assets.quality.rules.checks import CheckResult, DatasetValidation, worst
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


def dataset_checks(dataset: str) -> AssetChecksDefinition:
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
            validation = validate(recomart.zone(), dataset, day).validation
            context.log.info("%s %s: %s, %d rows", dataset, day, validation.status, validation.row_count)
            schema = [c for c in validation.checks if c.group == "schema"]
            values = [c for c in validation.checks if c.group != "schema"]
            return [check_result(dataset, SCHEMA_CHECK, validation, schema, AssetCheckSeverity.ERROR),
                    check_result(dataset, VALUES_CHECK, validation, values, AssetCheckSeverity.ERROR)]

        yield from per_partition(context, specs, evaluate)

    return _checks


quality_checks = [dataset_checks(dataset) for dataset in datasets.names()]
