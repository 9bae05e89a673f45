"""The SQL passes on a DuckDB ``typed`` table: counts, failed rows, samples and ranges as the reference engine has them."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest

from recomart_assets.lake import complete_files
from recomart_assets.quality.engines.duckdb_engine import DuckDBRunner, load_table, register_references
from recomart_assets.quality.engines.references import ReferenceData
from recomart_assets.quality.engines.sql.compiler import Plan
from recomart_assets.quality.engines.sql.dialect import DUCKDB
from recomart_assets.quality.engines.sql.passes import SqlValidation, sql_outcome
from recomart_assets.quality.rules.schemas import References, schema_for
from recomart_assets_tests.fixtures.quality import DAY, transaction_rows

IDS = References({("product_catalog", "product_id"): pd.Index([f"P{i:06d}" for i in range(1, 6)]),
                  ("customers", "customer_id"): pd.Index([f"C{i:06d}" for i in range(1, 5)])})


@pytest.fixture
def connection():
    connection = duckdb.connect()
    yield connection
    connection.close()


def validation_of(connection, tmp_path: Path, rows: list[dict], exact_distinct_rows: int = 1000,
                  references: References = IDS) -> SqlValidation:
    path = tmp_path / "part.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    register_references(connection, ReferenceData(references))
    schema = schema_for("transactions", DAY, references)
    loaded = load_table(connection, schema, "transactions", [str(path)])
    plan = Plan(DUCKDB, "transactions", DAY, schema, loaded.columns, references, False)
    return SqlValidation(DuckDBRunner(connection), plan, 0.05, exact_distinct_rows)


def test_every_rule_counts_its_failures_and_samples_them_in_row_order(connection, tmp_path):
    validation, found = validation_of(connection, tmp_path, transaction_rows()).run()
    checks = {c.name: (c.failure_count, c.samples, c.sample_rows) for c in validation.checks}
    assert checks["transaction_id: unique"] == (1, ["T0000"], [9])  # every occurrence but the first
    assert checks["product_id: in product_catalog"] == (1, ["P000099"], [3])
    assert checks["rating: in_range(1, 5)"] == (2, ["7"], [1])  # distinct values, the first row of each
    assert checks["price: type number"] == (1, ["abc"], [5])
    assert checks["price: not null"][0] == 0  # an unparsable value is not missing
    assert checks["timestamp: within partition day"][0] == 1
    assert checks["no duplicate rows"][0] == 1 and checks["no duplicate rows"][2] == [9]
    assert checks["no duplicate rows"][1][0].startswith("transaction_id=T0000, customer_id=C000001")
    assert validation.failed_rows == found.failed_rows == 6 and validation.row_count == found.rows == 10


def test_duplicate_rows_compare_parsed_values_and_missing_equals_missing(connection, tmp_path):
    rows = transaction_rows()[:3]
    for row in rows:
        row["rating"] = None
    rows.append({**rows[0], "price": "9.50"})  # the same price parsed, another text: a duplicate row
    validation, _ = validation_of(connection, tmp_path, rows).run()
    checks = {c.name: c.failure_count for c in validation.checks}
    assert checks["no duplicate rows"] == 1 and checks["transaction_id: unique"] == 1


def test_profiles_of_the_main_pass(connection, tmp_path):
    _, found = validation_of(connection, tmp_path, transaction_rows()).run()
    assert found.columns["price"] == {"null_count": 0, "null_share": 0.0, "distinct_count": 9, "min": 9.5, "max": 17.5}
    assert found.columns["timestamp"]["min"] == "2026-01-05T10:00:00+00:00"
    assert found.columns["timestamp"]["max"] == "2026-01-06T00:30:00+00:00"
    assert found.present["rating"] == 10


def test_big_days_estimate_their_distinct_counts(connection, tmp_path):
    sql = validation_of(connection, tmp_path, transaction_rows(), exact_distinct_rows=3)
    _, found = sql.run()
    assert sql.distinct_method == "hll" and found.columns["price"]["distinct_count"] == pytest.approx(9, abs=1)


def test_columns_present_and_unexpected_columns_name_them(connection, tmp_path):
    rows = [{**{k: v for k, v in row.items() if k != "rating"}, "coupon": "X"} for row in transaction_rows()[:2]]
    validation, _ = validation_of(connection, tmp_path, rows).run()
    checks = {c.name: (c.failure_count, c.samples) for c in validation.checks}
    assert checks["no unexpected columns"] == (1, ["coupon"])
    assert checks["columns present"] == (1, ["rating"])


def test_the_outcome_carries_the_files_and_figures(connection, tmp_path, fixture_zone):
    sql = validation_of(connection, tmp_path, transaction_rows())
    validation, found = sql.run()
    files = list(complete_files(fixture_zone.partition_dir("transactions", DAY)))
    outcome = sql_outcome(sql, validation, found, files, (2, 1), {"price": "string"}, "duckdb")
    assert [f.file for f in outcome.files] == ["ingested_a.csv", "ingested_b.csv"]
    assert outcome.bytes == sum(m.bytes for _, m in files) and outcome.quarantined_records == 2
    assert outcome.column_types["price"] == "number" and outcome.engine == "duckdb"
