"""The DuckDB engine's own parts: the runner, the fields of JSON Lines files, loading, references."""

from __future__ import annotations

import duckdb
import orjson
import pandas as pd
import pytest

from recomart_assets import datasets
from recomart_assets.lake import RawZone, complete_files
from recomart_assets.quality.engines import duckdb_engine
from recomart_assets.quality.engines.references import ReferenceData, load_references
from recomart_assets.quality.engines.sql.compiler import CATEGORY_TABLE, column_id, reference_tables
from recomart_assets.quality.rules.schemas import References, schema_for
from recomart_assets.sources.clickstream.seal import seal_partition
from recomart_assets_tests.fixtures.quality import DAY, click_events, write_csv, write_jsonl


@pytest.fixture
def connection():
    connection = duckdb.connect()
    yield connection
    connection.close()


def test_the_runner_fetches_rows_and_replaces_temporary_tables(connection):
    runner = duckdb_engine.DuckDBRunner(connection)
    runner.create_temp("t", "SELECT 1 AS x")
    runner.create_temp("t", "SELECT 2 AS x UNION ALL SELECT 3")
    assert runner.rows("SELECT x FROM t ORDER BY x") == [(2,), (3,)]
    runner.create_temp("v", "SELECT count(*) FROM t", view=True)
    runner.create_temp("t", "SELECT 4 AS x")
    assert runner.rows("SELECT * FROM v") == [(1,)]  # a view reads the table again


def test_json_fields_are_scanned_or_taken_from_what_was_recorded(connection, tmp_path):
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_bytes(b'{"x": 1, "y": "s"}\n')
    second.write_bytes(b'{"x": "t", "z": null}\n')
    keys, types = duckdb_engine.json_fields(connection, [str(first), str(second)])
    assert keys == ["x", "y", "z"]
    assert types == {"x": "mixed", "y": "string", "z": "null"}
    recorded = {str(second): {"fields": {"w": "boolean"}}}  # trusted: the file is not read for its keys
    assert duckdb_engine.json_fields(connection, [str(first), str(second)], recorded)[0] == ["x", "y", "w"]
    left_out = {str(second): {"fields": {"w": "boolean"}, "fields_left_out": 3}}  # incomplete record: scanned
    assert duckdb_engine.json_fields(connection, [str(first), str(second)], left_out)[0] == ["x", "y", "z"]


def test_csv_files_load_by_position_with_every_value_as_text(connection, tmp_path):
    one, two = tmp_path / "1.csv", tmp_path / "2.csv"
    one.write_text("transaction_id,price\nT1,1.50\nT2,\n")
    two.write_text("price,transaction_id\nabc,T3\n")  # columns in another order: matched by name
    (tmp_path / "empty.csv").write_text("")
    schema = schema_for("transactions", DAY)
    loaded = duckdb_engine.load_table(connection, schema, "transactions",
                                      [str(one), str(two), str(tmp_path / "empty.csv")])
    assert loaded.columns == ["transaction_id", "price"] and loaded.observed == {"transaction_id": "string",
                                                                                "price": "string"}
    price = f'"{column_id(1)}"'
    rows = connection.execute(f'SELECT "{column_id(0)}", {price} FROM typed ORDER BY __row').fetchall()
    assert rows == [("T1", "1.50"), ("T2", None), ("T3", "abc")]


def test_an_empty_partition_loads_the_required_columns_with_no_rows(connection, tmp_path):
    (tmp_path / "e.jsonl").write_bytes(b"")
    schema = schema_for("clickstream", DAY)
    loaded = duckdb_engine.load_table(connection, schema, "clickstream", [str(tmp_path / "e.jsonl")])
    assert loaded.columns == [n for n, c in schema.columns.items() if c.required]
    assert connection.execute("SELECT count(*) FROM typed").fetchone() == (0,)


def test_json_lines_keep_unknown_fields_and_values_as_their_json_text(connection, tmp_path):
    event = {**click_events()[0], "campaign": {"id": 7}, "score": 3}
    path = tmp_path / "e.jsonl"
    path.write_bytes(orjson.dumps(event) + b"\n")
    loaded = duckdb_engine.load_table(connection, schema_for("clickstream", DAY), "clickstream", [str(path)])
    assert loaded.columns[-2:] == ["campaign", "score"] and loaded.observed["campaign"] == "object"
    index = loaded.columns.index("campaign")
    values = connection.execute(f'SELECT "{column_id(index)}", "{column_id(index + 1)}" FROM typed').fetchone()
    assert values == ('{"id":7}', "3")


def test_references_and_categories_are_registered_as_tables(connection):
    ids = pd.Index(["C1", "C2"])
    references = References({("customers", "customer_id"): ids})
    categories = pd.Series({"P1": "books", "P2": None})
    duckdb_engine.register_references(connection, ReferenceData(references, categories))
    table = reference_tables(references)[("customers", "customer_id")]
    assert sorted(connection.execute(f"SELECT id FROM {table}").fetchall()) == [("C1",), ("C2",)]
    assert sorted(connection.execute(f"SELECT * FROM {CATEGORY_TABLE}").fetchall(), key=str) == [
        ("P1", "books"), ("P2", None)]


def test_recorded_fields_apply_only_to_files_whose_md5_is_unchanged(zone: RawZone):
    write_jsonl(zone, "h00-a.jsonl", click_events())
    seal_partition(zone, "reco_clickstream", DAY, force=True)
    write_jsonl(zone, "late.jsonl", [{**click_events()[0], "event_id": "late"}])  # after the seal: not recorded
    spec = datasets.get("clickstream")
    files = list(complete_files(zone.partition_dir("clickstream", DAY), spec.file_pattern))
    paths = [f"/local/{path.name}" for path, _ in files]
    recorded = duckdb_engine.recorded_fields(zone, spec, DAY, files, paths)
    assert [p for p in paths if p not in recorded] == ["/local/late.jsonl"] and len(recorded) == len(paths) - 1
    assert all("event_id" in entry["fields"] for entry in recorded.values())
    csv = datasets.get("transactions")
    assert duckdb_engine.recorded_fields(zone, csv, DAY, [], []) == {}  # CSV sources record no fields


def test_a_partition_is_validated_with_its_figures(fixture_zone: RawZone):
    outcome = duckdb_engine.validate_partition(fixture_zone, "product_catalog", DAY, load_references(fixture_zone, DAY))
    assert outcome.engine == "duckdb" and outcome.validation.row_count == 6
    checks = {c.name: c.failure_count for c in outcome.validation.checks}
    assert checks["product_id: unique"] == 1 and checks["price: greater_than(0)"] == 1
    assert [f.file for f in outcome.files] == [f"product_catalog_{DAY}.csv"]
    missing = duckdb_engine.validate_partition(fixture_zone, "external_metadata", DAY, ReferenceData())
    assert missing.missing and missing.engine == "duckdb"
    assert duckdb_engine.validate_partition(fixture_zone, "transactions", DAY, ReferenceData()).quarantined_records == 2


def test_an_unexpected_csv_column_is_named(zone: RawZone):
    write_csv(zone, "customers", "c.csv", [{"customer_id": "C000001", "name": "A", "email": "a@example.com",
                                            "signup_date": "2025-06-01", "city": "Pune", "segment": "new", "x": 1}])
    outcome = duckdb_engine.validate_partition(zone, "customers", DAY, ReferenceData())
    checks = {c.name: (c.failure_count, c.samples) for c in outcome.validation.checks}
    assert checks["no unexpected columns"] == (1, ["x"])
