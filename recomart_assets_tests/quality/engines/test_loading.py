"""The reference engine's reader: complete files only, every value as text, figures from the manifests."""

from __future__ import annotations

from collections import Counter

import pandas as pd

from recomart_assets.lake import RawZone, write_data_file
from recomart_assets.quality.engines.loading import (
    csv_header,
    csv_strings,
    json_records,
    json_types,
    jsonl_strings,
    load_partition,
    quarantined,
)
from recomart_assets.quality.rules.schemas import STRING
from recomart_assets_tests.fixtures.quality import DAY, click_events, transaction_rows, write_csv, write_jsonl


def test_csv_cells_stay_text_and_only_an_empty_cell_is_missing():
    frame = csv_strings(b'id,note,price\n1,"a, b\nc",NA\n2,,null\n')
    assert list(frame.columns) == ["id", "note", "price"]
    assert all(dtype == STRING for dtype in frame.dtypes)
    assert frame["id"].tolist() == ["1", "2"]  # numbers as received, not parsed
    assert frame.loc[0, "note"] == "a, b\nc"
    assert frame["price"].tolist() == ["NA", "null"]  # values a source wrote stay values
    assert pd.isna(frame.loc[1, "note"])
    assert csv_strings(b"").empty


def test_json_lines_fields_become_text_and_absent_keys_missing():
    data = b'{"a": 1, "b": {"x": [1, 2]}}\n\n{"a": "two", "c": true}\n'
    assert json_records(data) == [{"a": 1, "b": {"x": [1, 2]}}, {"a": "two", "c": True}]
    frame = jsonl_strings(data)
    assert list(frame.columns) == ["a", "b", "c"]
    assert frame["a"].tolist() == ["1", "two"]
    assert frame.loc[0, "b"] == '{"x":[1,2]}'
    assert frame.loc[1, "c"] == "true"
    assert pd.isna(frame.loc[1, "b"]) and pd.isna(frame.loc[0, "c"])


def test_an_integer_field_some_records_lack_stays_an_integer():
    frame = jsonl_strings([{"n": 12345678901234567}, {"m": "x"}, {"n": 3}])
    assert frame["n"].tolist()[0::2] == ["12345678901234567", "3"]  # not 1.2345678901234568e+16 or 3.0
    assert pd.isna(frame.loc[1, "n"])


def test_observed_types_from_json_values_and_csv_headers():
    seen: dict[str, set[str]] = {}
    carried: Counter[str] = Counter()
    json_types([{"a": 1, "b": None}, {"a": "x"}], seen, carried)
    assert seen == {"a": {"integer", "string"}, "b": {"null"}}
    assert carried == Counter({"a": 2, "b": 1})
    csv_header(pd.DataFrame(columns=["a", "z"]), seen)
    assert seen["z"] == {"string"} and seen["a"] == {"integer", "string"}


def test_a_partition_is_read_from_its_complete_files_only(zone: RawZone):
    rows = transaction_rows()
    write_csv(zone, "transactions", "ingested_a.csv", rows[:4])
    write_csv(zone, "transactions", "ingested_b.csv", rows[4:])
    (zone.partition_dir("transactions", DAY) / "ingested_c.csv").write_text("transaction_id\nT9\n")  # no manifest
    data = load_partition(zone, "transactions", DAY)
    assert not data.missing
    assert [f.file for f in data.files] == ["ingested_a.csv", "ingested_b.csv"]
    assert data.frame is not None and len(data.frame) == len(rows)
    assert data.frame["transaction_id"].tolist() == [r["transaction_id"] for r in rows]  # file order
    sizes = sum((zone.partition_dir("transactions", DAY) / n).stat().st_size for n in ("ingested_a.csv", "ingested_b.csv"))
    assert data.bytes == sizes
    assert set(data.observed_schema.values()) == {"string"}


def test_a_day_without_files_is_missing_and_still_counts_its_quarantine(zone: RawZone):
    for name, count in (("q1.csv", 2), ("q2.csv", 3)):
        write_data_file(zone.quarantine_dir("transactions", DAY) / name, b"raw,reason\n" + b"x,bad\n" * count,
                        dataset="transactions", partition=DAY, record_count=count, fmt="csv", source={"type": "test"})
    assert quarantined(zone, "transactions", DAY) == (5, 2)
    data = load_partition(zone, "transactions", DAY)
    assert data.missing and data.frame is None
    assert (data.quarantined_records, data.quarantine_files) == (5, 2)


def test_json_lines_partition_lists_fields_and_their_types(zone: RawZone):
    events = click_events()
    events[0] = {**events[0], "campaign": 3}
    write_jsonl(zone, "events.jsonl", events)
    data = load_partition(zone, "clickstream", DAY)
    assert data.frame is not None
    assert "campaign" in data.names and "campaign" in data.frame.columns
    assert data.observed_schema["campaign"] == "integer"
    assert data.observed_schema["search_term"] == "null"
    assert data.frame["campaign"].tolist()[0] == "3"
