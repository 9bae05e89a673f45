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
    assert {k: v for k, v in args["metadata"].items() if k.startswith("recomart/")} == {
        "recomart/dataset": "product_catalog", "recomart/format": "csv", "recomart/latest": True}
    assert args["io_manager_key"] == "raw_zone_io_manager" and "automation_condition" not in args


def test_arguments_of_a_spec_without_kinds_or_latest_copy():
    condition = AutomationCondition.eager()
    args = asset_args(datasets.TRANSACTIONS, automation_condition=condition)
    assert "kinds" not in args and "io_manager_key" not in args and "recomart/latest" not in args["metadata"]
    assert args["automation_condition"] is condition


def test_every_dataset_shows_the_columns_of_its_pandera_schema():
    from recomart_assets.defs.shared.specs import COLUMN_SCHEMA, column_schema
    from recomart_assets.quality.rules.schemas import References

    for spec in datasets.specs():
        shown = asset_args(spec)["metadata"][COLUMN_SCHEMA]
        schema = spec.schema_builder()("2026-03-01", References())
        assert [c.name for c in shown.columns] == list(schema.columns), spec.name
        assert [c.type for c in shown.columns] == [str(col.dtype) for col in schema.columns.values()], spec.name
        assert shown is column_schema(spec.name)


def test_the_column_schema_states_nullability_uniqueness_and_rules():
    from recomart_assets.defs.shared.specs import column_schema

    columns = {c.name: c for c in column_schema("transactions").columns}
    assert columns["transaction_id"].constraints.unique and not columns["transaction_id"].constraints.nullable
    assert columns["rating"].constraints.nullable and columns["rating"].type == "float64"
    assert "in_range(1, 5)" in columns["rating"].constraints.other
    assert "in customers" in columns["customer_id"].constraints.other
    clickstream = {c.name: c for c in column_schema("clickstream").columns}
    assert "optional" in clickstream["session_id"].constraints.other
    assert clickstream["timestamp"].type == "datetime64[ns, UTC]"
