"""The SQL profile passes (text columns, charts, segments) on DuckDB, held to the reference engine's numbers."""

from __future__ import annotations

from pathlib import Path

import duckdb
import orjson
import pandas as pd
import pytest

from recomart_assets.quality.engines.duckdb_engine import DuckDBRunner, load_table, register_references
from recomart_assets.quality.engines.profiling import histogram
from recomart_assets.quality.engines.references import ReferenceData
from recomart_assets.quality.engines.sql.compiler import Plan
from recomart_assets.quality.engines.sql.dialect import DUCKDB
from recomart_assets.quality.engines.sql.passes import SqlValidation
from recomart_assets.quality.engines.sql.profiles import SqlProfiles
from recomart_assets.quality.rules.schemas import References, schema_for
from recomart_assets_tests.fixtures.quality import DAY, click_events, transaction_rows


@pytest.fixture
def connection():
    connection = duckdb.connect()
    yield connection
    connection.close()


def profiles_of(connection, tmp_path: Path, dataset: str, path: Path, categories: pd.Series | None = None) -> SqlProfiles:
    """Load ``path`` and run every pass; the profiles and what they found."""
    data = ReferenceData(References(), categories)
    register_references(connection, data)
    schema = schema_for(dataset, DAY)
    loaded = load_table(connection, schema, dataset, [str(path)])
    sql = SqlValidation(DuckDBRunner(connection), Plan(DUCKDB, dataset, DAY, schema, loaded.columns, References(),
                                                       categories is not None), 0.05, 1000)
    sql.run()
    return sql.profiles


def _transactions(tmp_path: Path, prices: list[object]) -> Path:
    rows = [{**transaction_rows()[0], "transaction_id": f"T{i}", "price": p, "rating": 1 + i % 2,
             "timestamp": f"{DAY}T{(i % 3) + 5:02d}:10:00Z"} for i, p in enumerate(prices)]
    path = tmp_path / "t.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def test_charts_match_the_reference_engine(connection, tmp_path):
    prices = [7.5, 1.3, 8.1, 8.3, 1.8, 6.3, 2.0, 2.4, "inf", "abc"]  # 2.0: numpy's guess needs its correction
    categories = pd.Series({"P000001": "books"})
    profiles = profiles_of(connection, tmp_path, "transactions", _transactions(tmp_path, prices), categories)
    charts = profiles.found.distributions
    expected = histogram(pd.to_numeric(pd.Series(prices[:-1], dtype=object).astype(float)))
    assert charts["price"] == expected  # numpy's bins, edge cases included
    assert charts["rating"] == {"kind": "counts", "labels": ["1", "2", "3", "4", "5"], "values": [5, 5, 0, 0, 0]}
    assert charts["purchases per hour"]["values"][5:8] == [4, 3, 3] and sum(charts["purchases per hour"]["values"]) == 10
    assert charts["purchases per category"] == {"kind": "counts", "labels": ["books"], "values": [10]}
    assert profiles.found.segments["category"] == {"books": 10}
    assert profiles.found.segments["hour"]["05"] == 4


def test_without_a_catalog_the_category_chart_and_segment_are_empty(connection, tmp_path):
    profiles = profiles_of(connection, tmp_path, "transactions", _transactions(tmp_path, [1.0, 2.0]))
    assert profiles.found.distributions["purchases per category"]["labels"] == []
    assert profiles.found.segments["category"] == {} and profiles.found.segment_nulls["category"] == {}


def test_text_columns_get_top_values_and_segments_their_nulls(connection, tmp_path):
    events = [*click_events(), click_events()[1]]  # e0 and e1 twice, "fax" once, no search terms
    path = tmp_path / "e.jsonl"
    path.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in events))
    profiles = profiles_of(connection, tmp_path, "clickstream", path)
    columns = profiles.found.columns
    assert columns["device"]["top_values"] == [{"value": "web", "count": 6}, {"value": "fax", "count": 1}]
    assert columns["event_id"]["distinct_count"] == 5
    assert columns["event_id"]["top_values"][:3] == [  # repeated first (first seen first), then single values
        {"value": "e0", "count": 2}, {"value": "e1", "count": 2}, {"value": "e2", "count": 1}]
    assert profiles.found.distributions["devices"] == {"kind": "counts", "labels": ["web", "fax"], "values": [6, 1]}
    assert profiles.found.segments["device"] == {"web": 6, "fax": 1}
    assert profiles.found.segment_nulls["device"]["web"]["search_term"] == 6
    assert profiles.found.segment_nulls["device"]["fax"]["event_id"] == 0
    assert profiles.column_types()["timestamp"] == "timestamp" and profiles.column_types()["device"] == "string"
