"""The compiler's names: reference tables and columns never take a name from the data or a spec."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from recomart_assets.datasets import Reference
from recomart_assets.quality.engines.sql.compiler import (
    Plan,
    column_id,
    parsed_columns,
    reference_lookups,
    reference_tables,
)
from recomart_assets.quality.engines.sql.dialect import DUCKDB
from recomart_assets.quality.engines.sql.rule_compilers import not_in_reference
from recomart_assets.quality.rules.schemas import STRING, TIMESTAMP, References, in_reference

HOSTILE = 'x"; DROP TABLE typed; --'
BY = Reference("by", HOSTILE, "id")
OTHER = Reference("other", "customers", "customer_id")
REFS = References({(HOSTILE, "id"): pd.Index(["U1"]), ("customers", "customer_id"): pd.Index(["C000001"])})


def _schema() -> pa.DataFrameSchema:
    return pa.DataFrameSchema({
        "by": pa.Column(STRING, checks=in_reference(BY, REFS)),
        "other": pa.Column(STRING, checks=in_reference(OTHER, REFS)),
        "at": pa.Column(TIMESTAMP),
    })


def test_reference_tables_are_generated_in_sorted_key_order():
    assert reference_tables(REFS) == {("customers", "customer_id"): "__ref_ids_0", (HOSTILE, "id"): "__ref_ids_1"}
    assert reference_tables(References()) == {}


def test_each_referential_check_joins_its_own_table_under_its_own_alias():
    lookups = reference_lookups(_schema(), ["by", "other", "at"], reference_tables(REFS))
    assert lookups == [("by", "__ref_ids_1", "__ref0"), ("other", "__ref_ids_0", "__ref1")]
    # a column the data lacks has no lookup
    assert reference_lookups(_schema(), ["other"], reference_tables(REFS)) == [("other", "__ref_ids_0", "__ref0")]


def test_the_reference_sql_names_no_dataset_and_no_column():
    plan = Plan(DUCKDB, "toy", "2026-01-05", _schema(), ["by", "other", "at"], REFS, False)
    check = _schema().columns["by"].checks[0]
    condition = not_in_reference(plan, "by", check)
    sql = plan.with_lookups(condition)
    assert condition == f"({DUCKDB.quote(column_id(0))} IS NOT NULL AND __ref0_id IS NULL)"
    assert "__ref_ids_1" in sql and "__ref_ids_0" not in sql  # only the lookup the condition uses
    assert HOSTILE not in sql + condition and "customers" not in sql


def test_parsed_columns_are_named_by_position():
    assert parsed_columns(_schema(), ["at", "by"]) == {"at": ("__parsed_0", TIMESTAMP)}
