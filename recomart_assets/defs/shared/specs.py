"""Asset arguments derived from a :class:`~recomart_assets.datasets.DatasetSpec`.

Every raw asset is declared with ``@asset(**asset_args(spec))`` so its name, group, kinds,
description, partitions and the metadata the IO manager reads all come from the one spec; what
starts it is the asset's own choice (a condition from :mod:`defs.shared.automation`, or none for
data a sensor brings in).

Every asset also carries its column schema (``dagster/column_schema``, :func:`column_schema`), read
from the dataset's pandera schema, so the UI's "Columns" tab shows the same types, nullability,
uniqueness and rules that validation enforces.
"""

from functools import cache
from typing import Any

from dagster import AutomationCondition, TableColumn, TableColumnConstraints, TableSchema

from recomart_assets import datasets
from recomart_assets.datasets import PARTITION_START, DatasetSpec
from recomart_assets.defs.shared.partitions import daily_partitions
from recomart_assets.quality.rules.schemas import References

COLUMN_SCHEMA = "dagster/column_schema"


@cache
def column_schema(dataset: str) -> TableSchema:
    """The columns of ``dataset`` as Dagster shows them, built from its spec's pandera schema (the one
    statement of a valid record): the parsed type, whether it may be empty, whether it is unique, and
    the names of its rules (format, allowed values, ranges, the references the spec declares).

    Built once per dataset and process; the day only moves the bounds of the time rules, so the
    first partition stands for every day."""
    spec = datasets.get(dataset)
    schema = spec.schema_builder()(PARTITION_START, References())
    references = {ref.column: [ref.check_name] for ref in spec.references}
    columns = []
    for name, column in schema.columns.items():
        rules = [str(check.error or check.name) for check in column.checks] + references.get(name, [])
        if not column.required:
            rules.append("optional")
        columns.append(TableColumn(
            name=str(name),
            type=str(column.dtype),
            constraints=TableColumnConstraints(nullable=column.nullable, unique=column.unique, other=rules),
        ))
    return TableSchema(columns=columns)


def asset_args(
    spec: DatasetSpec, *, io_manager: bool = False, automation_condition: AutomationCondition | None = None
) -> dict[str, Any]:
    """``@asset`` keyword arguments for ``spec``; ``io_manager`` for assets the raw-zone IO manager writes."""
    metadata: dict[str, Any] = {
        "recomart/dataset": spec.name,
        "recomart/format": spec.format,
        COLUMN_SCHEMA: column_schema(spec.name),
    }
    if spec.latest_file:
        metadata["recomart/latest"] = True
    args: dict[str, Any] = {
        "name": spec.name,
        "description": spec.description,
        "partitions_def": daily_partitions,
        "group_name": spec.group,
        "metadata": metadata,
    }
    if spec.kinds:
        args["kinds"] = set(spec.kinds)
    if io_manager:
        args["io_manager_key"] = "raw_zone_io_manager"
    if automation_condition is not None:
        args["automation_condition"] = automation_condition
    return args
