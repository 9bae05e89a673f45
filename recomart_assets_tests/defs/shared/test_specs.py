"""Asset arguments come from the spec: name, group, kinds, partitions and the IO manager's metadata."""

from __future__ import annotations

from dagster import AutomationCondition

from recomart_assets import datasets
from recomart_assets.defs.shared.partitions import daily_partitions
from recomart_assets.defs.shared.specs import asset_args


def test_arguments_of_a_spec_with_a_latest_copy_written_by_the_io_manager():
    args = asset_args(datasets.CATALOG, io_manager=True)
    assert args["name"] == "product_catalog" and args["group_name"] == "master_data"
    assert args["partitions_def"] is daily_partitions and args["kinds"] == {"csv"}
    assert args["metadata"] == {"recomart/dataset": "product_catalog", "recomart/format": "csv", "recomart/latest": True}
    assert args["io_manager_key"] == "raw_zone_io_manager" and "automation_condition" not in args


def test_arguments_of_a_spec_without_kinds_or_latest_copy():
    condition = AutomationCondition.eager()
    args = asset_args(datasets.TRANSACTIONS, automation_condition=condition)
    assert "kinds" not in args and "io_manager_key" not in args and "recomart/latest" not in args["metadata"]
    assert args["automation_condition"] is condition
