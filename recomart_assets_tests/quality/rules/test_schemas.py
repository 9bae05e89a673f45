"""Each schema passes clean data and counts every injected defect exactly."""

from __future__ import annotations

import pandas as pd
import pytest

from recomart_assets.quality import References, validate_frame
from recomart_assets.simulate.master import generate_catalog, generate_customers

DAY = "2026-01-05"
N = 100
CATALOG = generate_catalog(seed=1, n_products=50)
CUSTOMERS = generate_customers(seed=1, n_customers=40)
REFS = References({("product_catalog", "product_id"): pd.Index(CATALOG["product_id"]),
                   ("customers", "customer_id"): pd.Index(CUSTOMERS["customer_id"])})


def text(frame: pd.DataFrame) -> pd.DataFrame:
    """Values as the raw zone holds them: text, empty cells missing."""
    return frame.astype(object).where(frame.notna(), None).map(lambda v: None if v is None else str(v)).astype(
        "string[pyarrow]")


def transactions() -> pd.DataFrame:
    return pd.DataFrame({
        "transaction_id": [f"T{i:05d}" for i in range(N)],
        "customer_id": [CUSTOMERS["customer_id"][i % 40] for i in range(N)],
        "product_id": [CATALOG["product_id"][i % 50] for i in range(N)],
        "quantity": [1 + i % 4 for i in range(N)],
        "price": [round(5 + i * 0.5, 2) for i in range(N)],
        "rating": [None if i % 10 == 0 else 1 + i % 5 for i in range(N)],
        "timestamp": [f"{DAY}T{i % 24:02d}:{i % 60:02d}:00+00:00" for i in range(N)],
    })


def clickstream() -> pd.DataFrame:
    types = ["view", "click", "add_to_cart", "search"]
    return pd.DataFrame({
        "event_id": [f"e{i}" for i in range(N)],
        "user_id": [CUSTOMERS["customer_id"][i % 40] for i in range(N)],
        "session_id": [f"s{i // 5}" for i in range(N)],
        "event_type": [types[i % 4] for i in range(N)],
        "product_id": [None if i % 4 == 3 else CATALOG["product_id"][i % 50] for i in range(N)],
        "search_term": ["lamp" if i % 4 == 3 else None for i in range(N)],
        "device": [["web", "ios", "android"][i % 3] for i in range(N)],
        "timestamp": [f"{DAY}T{i % 24:02d}:00:00Z" for i in range(N)],
    })


def external_metadata() -> pd.DataFrame:
    frame = CATALOG.drop(columns=["name"]).copy()
    n = len(frame)
    return frame.assign(
        popularity_score=[i * 2.0 for i in range(n)], sentiment_score=[(i % 21 - 10) / 10 for i in range(n)],
        trend=[["rising", "stable", "falling"][i % 3] for i in range(n)], review_count=list(range(n)),
        as_of=f"{DAY}T06:00:00Z",
    )


CLEAN = {
    "product_catalog": lambda: CATALOG.copy(),
    "customers": lambda: CUSTOMERS.copy(),
    "transactions": transactions,
    "clickstream": clickstream,
    "external_metadata": external_metadata,
}


def counts(dataset: str, frame: pd.DataFrame) -> dict[str, int]:
    validation = validate_frame(dataset, text(frame), DAY, REFS)
    return {c.name: c.failure_count for c in validation.checks}


def failing(dataset: str, frame: pd.DataFrame) -> dict[str, int]:
    return {name: count for name, count in counts(dataset, frame).items() if count}


@pytest.mark.parametrize("dataset", sorted(CLEAN))
def test_clean_frame_passes(dataset):
    validation = validate_frame(dataset, text(CLEAN[dataset]()), DAY, REFS)
    assert validation.status == "pass", [c for c in validation.checks if c.status != "pass"]
    assert validation.failed_rows == 0 and validation.duplicate_rows == 0


@pytest.mark.parametrize("dataset", sorted(CLEAN))
def test_zero_rows_are_valid(dataset):
    validation = validate_frame(dataset, text(CLEAN[dataset]().head(0)), DAY, REFS)
    assert validation.status == "pass" and validation.row_count == 0


def set_rows(frame: pd.DataFrame, column: str, rows: range | list[int], value) -> pd.DataFrame:
    frame = frame.astype(object)
    frame.loc[list(rows), column] = value
    return frame


def test_transaction_defects_are_counted_exactly():
    assert failing("transactions", set_rows(transactions(), "rating", range(1, 11), 7)) == {"rating: in_range(1, 5)": 10}
    assert failing("transactions", set_rows(transactions(), "quantity", range(3), 0)) == {
        "quantity: greater_than_or_equal_to(1)": 3}
    # not-a-number prices are type failures only, not also "missing"
    assert failing("transactions", set_rows(transactions(), "price", range(4), "abc")) == {"price: type number": 4}
    assert failing("transactions", set_rows(transactions(), "quantity", range(2), "1.5")) == {"quantity: type integer": 2}
    assert failing("transactions", set_rows(transactions(), "customer_id", range(2), None)) == {"customer_id: not null": 2}
    assert failing("transactions", set_rows(transactions(), "product_id", range(6), "P999999")) == {
        "product_id: in product_catalog": 6}
    assert failing("transactions", set_rows(transactions(), "customer_id", [5], "X1")) == {
        "customer_id: format customer id": 1, "customer_id: in customers": 1}
    assert failing("transactions", set_rows(transactions(), "timestamp", range(7), "2026-01-06T01:00:00Z")) == {
        "timestamp: within partition day": 7}
    assert failing("transactions", set_rows(transactions(), "timestamp", range(2), "yesterday")) == {
        "timestamp: type ISO 8601 timestamp": 2}
    frame = transactions()
    assert failing("transactions", pd.concat([frame, frame.head(5)], ignore_index=True)) == {
        "no duplicate rows": 5, "transaction_id: unique": 5}


def test_schema_mismatch_fails_and_blocks():
    missing = validate_frame("transactions", text(transactions().drop(columns=["price"])), DAY, REFS)
    present = next(c for c in missing.checks if c.name == "columns present")
    assert (present.status, present.severity, present.failure_count, present.samples) == ("fail", "error", 1, ["price"])
    extra = validate_frame("transactions", text(transactions().assign(coupon="X")), DAY, REFS)
    unexpected = next(c for c in extra.checks if c.name == "no unexpected columns")
    assert (unexpected.status, unexpected.failure_count, unexpected.samples) == ("fail", 1, ["coupon"])
    mistyped = validate_frame("transactions", text(transactions().assign(price="free")), DAY, REFS)
    assert mistyped.group_status("schema") == "fail"
    few_bad = validate_frame("transactions", text(set_rows(transactions(), "price", range(4), "abc")), DAY, REFS)
    assert few_bad.group_status("schema") == "warn"


def test_thresholds_decide_warn_or_fail():
    few = validate_frame("transactions", text(set_rows(transactions(), "rating", range(1, 5), 7)), DAY, REFS)
    many = validate_frame("transactions", text(set_rows(transactions(), "rating", range(1, 11), 7)), DAY, REFS)
    assert (few.status, many.status) == ("warn", "fail")
    rating = next(c for c in many.checks if c.name == "rating: in_range(1, 5)")
    assert rating.samples == ["7"] and len(rating.sample_rows) == 1


def test_clickstream_defects_are_counted_exactly():
    assert failing("clickstream", set_rows(clickstream(), "event_type", range(3), "hover")) == {
        "event_type: one of view|click|add_to_cart|search": 3}
    assert failing("clickstream", set_rows(clickstream(), "device", range(4), "fax")) == {"device: one of web|ios|android": 4}
    assert failing("clickstream", set_rows(clickstream(), "event_id", [1, 2], "e0")) == {"event_id: unique": 2}
    assert failing("clickstream", set_rows(clickstream(), "product_id", [0, 1], None)) == {
        "product_id present unless search": 2}
    assert failing("clickstream", set_rows(clickstream(), "user_id", range(3), "C999999")) == {"user_id: in customers": 3}
    # unknown extra fields are kept as received, not a failure
    assert failing("clickstream", clickstream().assign(campaign="spring")) == {}


def test_master_and_metadata_defects_are_counted_exactly():
    assert failing("product_catalog", set_rows(CATALOG.copy(), "price", range(2), -1.0)) == {"price: greater_than(0)": 2}
    assert failing("product_catalog", set_rows(CATALOG.copy(), "product_id", [3], "X-1")) == {
        "product_id: format product id": 1}
    assert failing("customers", set_rows(CUSTOMERS.copy(), "email", range(3), "not-an-email")) == {"email: format e-mail": 3}
    assert failing("customers", set_rows(CUSTOMERS.copy(), "signup_date", [0], "2026-02-01")) == {
        "signup_date: not after partition day": 1}
    metadata = external_metadata()
    metadata = set_rows(metadata, "popularity_score", range(2), 150)
    metadata = set_rows(metadata, "sentiment_score", range(3), 2)
    metadata = set_rows(metadata, "trend", range(4), "up")
    metadata = set_rows(metadata, "review_count", range(5), -1)
    assert failing("external_metadata", metadata) == {
        "popularity_score: in_range(0, 100)": 2, "sentiment_score: in_range(-1, 1)": 3,
        "trend: one of rising|stable|falling": 4, "review_count: greater_than_or_equal_to(0)": 5,
    }


def test_missing_reference_is_reported_not_run():
    validation = validate_frame("transactions", text(transactions()), DAY, References())
    skipped = [c for c in validation.checks if c.group == "integrity"]
    assert {c.name for c in skipped} == {"customer_id: in customers", "product_id: in product_catalog"}
    assert all(c.status == "warn" and c.detail.startswith("not run") for c in skipped)
