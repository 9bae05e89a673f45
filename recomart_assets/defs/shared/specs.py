"""Asset arguments derived from a :class:`~recomart_assets.datasets.DatasetSpec`.

Every raw asset is declared with ``@asset(**asset_args(spec))`` so its name, group, kinds,
description, partitions and the metadata the IO manager reads all come from the one spec; what
starts it is the asset's own choice (a condition from :mod:`defs.shared.automation`, or none for
data a sensor brings in).
"""

from typing import Any

from dagster import AutomationCondition

from recomart_assets.datasets import DatasetSpec
from recomart_assets.defs.shared.partitions import daily_partitions


def asset_args(
    spec: DatasetSpec, *, io_manager: bool = False, automation_condition: AutomationCondition | None = None
) -> dict[str, Any]:
    """``@asset`` keyword arguments for ``spec``; ``io_manager`` for assets the raw-zone IO manager writes."""
    metadata: dict[str, Any] = {"recomart/dataset": spec.name, "recomart/format": spec.format}
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
