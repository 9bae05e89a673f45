"""pandera's failures as our checks: names, counts, samples, and a value counted for one rule only."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from recomart_assets.quality.engines.pandas_checks import pandera_failures, validate_frame
from recomart_assets.quality.rules.schemas import STRING
from recomart_assets_tests.fixtures.quality import DAY, transaction_rows


def _text(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows).astype(str).astype(STRING)


def _checks(validation) -> dict[str, tuple[str, int, list[str], list[int]]]:
    return {c.name: (c.status, c.failure_count, c.samples, c.sample_rows) for c in validation.checks}


def test_pandera_failures_get_our_check_names():
    schema = pa.DataFrameSchema({"a": pa.Column(int, unique=True), "b": pa.Column(int, nullable=False)}, strict=True)
    frame = pd.DataFrame({"a": [1, 1, 2], "b": [1.0, None, 2.0], "c": [0, 0, 0]})
    names = set(pandera_failures(schema, frame)["name"])
    assert {"a: unique", "no unexpected columns"} <= names
    assert pandera_failures(schema, pd.DataFrame({"a": [1, 2], "b": [3, 4]})).empty


def test_each_defect_is_counted_by_its_rule_with_samples_and_rows():
    rows = transaction_rows()
    rows[6]["price"] = "abc"  # a second unparsable price, the same text
    found = _checks(validate_frame("transactions", _text(rows), DAY))
    assert found["price: type number"] == ("warn", 2, ["abc"], [5])  # distinct values, first row of each
    assert found["price: not null"][1] == 0  # unparsable is not missing: counted for the type rule only
    assert found["rating: in_range(1, 5)"] == ("fail", 2, ["7"], [1])
    assert found["transaction_id: unique"][1:] == (1, ["T0000"], [9])
    assert found["no duplicate rows"][1] == 1  # one row, however many cells
    assert found["timestamp: within partition day"][2:] == (["2026-01-06T00:30:00Z"], [4])
    assert found["product_id: in product_catalog"][0] == "warn"  # no catalog ids given: the check says it did not run


def test_a_clean_frame_passes_and_counts_no_failed_rows():
    rows = transaction_rows()[:1]
    validation = validate_frame("transactions", _text(rows), DAY)
    assert validation.row_count == 1 and validation.failed_rows == 0
    assert all(c.failure_count == 0 for c in validation.checks)


def test_failed_rows_count_each_row_once():
    validation = validate_frame("transactions", _text(transaction_rows()), DAY)
    assert validation.failed_rows == 5 and validation.status == "fail"  # rows 1, 2, 4, 5 and the duplicate row 9


def test_an_empty_json_lines_file_is_valid_and_a_missing_column_is_named():
    found = _checks(validate_frame("clickstream", pd.DataFrame(), DAY))
    assert found["columns present"][1] == 0
    frame = _text(transaction_rows()).drop(columns=["price"])
    found = _checks(validate_frame("transactions", frame, DAY))
    assert found["columns present"][:3] == ("fail", 1, ["price"])
