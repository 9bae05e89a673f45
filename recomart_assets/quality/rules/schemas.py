"""One pandera schema per dataset: the single statement of what a valid record is.

A schema is built per partition because two of its rules depend on the day: records must fall
inside the partition's UTC day, and ids must exist in the same day's catalog and customers
(:class:`References`). Column dtypes are the *parsed* types (``Int64``, ``float64``,
``datetime64[ns, UTC]``); the raw zone holds text, and :mod:`recomart_assets.quality.rules.parsing`
turns text into those types first, reporting values that do not parse. Validation is always
lazy (every failure collected) and runs on pyarrow-backed strings for speed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

import pandas as pd
import pandera.pandas as pa

from recomart_assets import datasets

STRING = "string[pyarrow]"
TIMESTAMP = "datetime64[ns, UTC]"

PRODUCT_ID = r"P\d{6}"
CUSTOMER_ID = r"C\d{6}"
EMAIL = r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}"
EVENT_TYPES = ("view", "click", "add_to_cart", "search")
DEVICES = ("web", "ios", "android")
TRENDS = ("rising", "stable", "falling")

# Names of the cross-table checks (and the dataset each one looks ids up in).
IN_CATALOG = "in product_catalog"
IN_CUSTOMERS = "in customers"


@dataclass(frozen=True)
class References:
    """Ids of the partition's own catalog and customers; None when that dataset is missing."""

    product_ids: pd.Index | None = None
    customer_ids: pd.Index | None = None

    def ids_for(self, check_name: str) -> pd.Index | None:
        return self.product_ids if check_name == IN_CATALOG else self.customer_ids


def day_bounds(day: date | str) -> tuple[pd.Timestamp, pd.Timestamp]:
    start = pd.Timestamp(str(day), tz="UTC")
    return start, start + pd.Timedelta(days=1)


# Every custom check states its rule and parameters in ``statistics`` (pandera's place for a check's
# parameters): the pandas backend runs the lambda, and :mod:`recomart_assets.quality.engines.sql` compiles
# the same rule to SQL for DuckDB and Spark, so the schema stays the one statement of each rule.
def matches(pattern: str, label: str) -> pa.Check:
    """The whole value matches ``pattern`` (RE2 on pyarrow strings; RE2 in DuckDB too)."""
    return pa.Check(lambda s: s.str.fullmatch(pattern), name=f"format {label}",
                    statistics={"rule": "fullmatch", "pattern": pattern})


def one_of(values: Iterable[str]) -> pa.Check:
    values = tuple(values)
    return pa.Check(lambda s: s.isin(values), name="one of " + "|".join(values),
                    statistics={"rule": "isin", "values": list(values)})


def within_day(day: date | str) -> pa.Check:
    start, end = day_bounds(day)
    return pa.Check(lambda s: (s >= start) & (s < end), name="within partition day",
                    statistics={"rule": "time_between", "start": start.isoformat(), "end": end.isoformat()})


def not_after_day(day: date | str) -> pa.Check:
    _, end = day_bounds(day)
    return pa.Check(lambda s: s < end, name="not after partition day",
                    statistics={"rule": "time_before", "end": end.isoformat()})


def in_reference(name: str, references: References) -> list[pa.Check]:
    """The referential check ``name``, or nothing when the reference dataset is missing."""
    ids = references.ids_for(name)
    if ids is None:
        return []
    return [pa.Check(lambda s: s.isin(ids), name=name, statistics={"rule": "in_reference", "reference": name})]


def present_unless(column: str, other: str, value: str) -> pa.Check:
    """A row-wide rule: ``column`` has a value unless ``other`` equals ``value``."""
    return pa.Check(lambda df: df[column].notna() | (df[other] == value).fillna(False),
                    name=f"{column} present unless {value}",
                    statistics={"rule": "present_unless", "column": column, "other": other, "value": value})


def _schema(name: str, columns: dict[str, pa.Column], strict: bool, checks: Iterable[pa.Check] = ()) -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        columns,
        checks=list(checks),
        strict=strict,
        # Exact duplicates: every row that repeats an earlier one (the first is not a failure).
        unique=[c for c, col in columns.items() if col.required],
        report_duplicates="exclude_first",
        name=name,
    )


def _reference_id(pattern: str, label: str, reference: str, references: References, **column) -> pa.Column:
    """An id column in ``pattern`` format that must exist in the same day's ``reference`` dataset."""
    column.setdefault("nullable", False)
    return pa.Column(STRING, checks=[matches(pattern, label), *in_reference(reference, references)], **column)


def _key(pattern: str | None = None, label: str = "") -> pa.Column:
    checks = [matches(pattern, label)] if pattern else []
    return pa.Column(STRING, nullable=False, unique=True, report_duplicates="exclude_first", checks=checks)


def product_catalog_schema(day: date | str, references: References) -> pa.DataFrameSchema:
    return _schema(
        "product_catalog",
        {
            "product_id": _key(PRODUCT_ID, "product id"),
            "name": pa.Column(STRING, nullable=False),
            "category": pa.Column(STRING, nullable=False),
            "brand": pa.Column(STRING, nullable=False),
            "price": pa.Column("float64", nullable=False, checks=pa.Check.gt(0)),
        },
        strict=True,
    )


def customers_schema(day: date | str, references: References) -> pa.DataFrameSchema:
    return _schema(
        "customers",
        {
            "customer_id": _key(CUSTOMER_ID, "customer id"),
            "name": pa.Column(STRING, nullable=False),
            "email": pa.Column(STRING, nullable=False, checks=matches(EMAIL, "e-mail")),
            "signup_date": pa.Column(TIMESTAMP, nullable=False, checks=not_after_day(day)),
            "city": pa.Column(STRING, nullable=False),
            "segment": pa.Column(STRING, nullable=False),
        },
        strict=True,
    )


def transactions_schema(day: date | str, references: References) -> pa.DataFrameSchema:
    return _schema(
        "transactions",
        {
            "transaction_id": _key(),
            "customer_id": _reference_id(CUSTOMER_ID, "customer id", IN_CUSTOMERS, references),
            "product_id": _reference_id(PRODUCT_ID, "product id", IN_CATALOG, references),
            "quantity": pa.Column("Int64", nullable=False, checks=pa.Check.ge(1)),
            "price": pa.Column("float64", nullable=False, checks=pa.Check.gt(0)),
            "rating": pa.Column("float64", nullable=True, checks=pa.Check.in_range(1, 5)),
            "timestamp": pa.Column(TIMESTAMP, nullable=False, checks=within_day(day)),
        },
        strict=True,
    )


def clickstream_schema(day: date | str, references: References) -> pa.DataFrameSchema:
    """Unknown extra fields are kept as received (not strict); ``session_id``/``search_term`` optional."""
    return _schema(
        "clickstream",
        {
            "event_id": _key(),
            "user_id": _reference_id(CUSTOMER_ID, "customer id", IN_CUSTOMERS, references),
            "session_id": pa.Column(STRING, nullable=True, required=False),
            "event_type": pa.Column(STRING, nullable=False, checks=one_of(EVENT_TYPES)),
            "product_id": _reference_id(PRODUCT_ID, "product id", IN_CATALOG, references, nullable=True),
            "search_term": pa.Column(STRING, nullable=True, required=False),
            "device": pa.Column(STRING, nullable=False, checks=one_of(DEVICES)),
            "timestamp": pa.Column(TIMESTAMP, nullable=False, checks=within_day(day)),
        },
        strict=False,
        checks=[present_unless("product_id", "event_type", "search")],
    )


def external_metadata_schema(day: date | str, references: References) -> pa.DataFrameSchema:
    return _schema(
        "external_metadata",
        {
            "product_id": _reference_id(
                PRODUCT_ID, "product id", IN_CATALOG, references, unique=True, report_duplicates="exclude_first"
            ),
            "category": pa.Column(STRING, nullable=False),
            "brand": pa.Column(STRING, nullable=False),
            "price": pa.Column("float64", nullable=False, checks=pa.Check.gt(0)),
            "popularity_score": pa.Column("float64", nullable=False, checks=pa.Check.in_range(0, 100)),
            "sentiment_score": pa.Column("float64", nullable=False, checks=pa.Check.in_range(-1, 1)),
            "trend": pa.Column(STRING, nullable=False, checks=one_of(TRENDS)),
            "review_count": pa.Column("Int64", nullable=False, checks=pa.Check.ge(0)),
            "as_of": pa.Column(TIMESTAMP, nullable=False, checks=not_after_day(day)),
        },
        strict=True,
    )


SchemaBuilder = Callable[[date | str, References], pa.DataFrameSchema]


def referential_checks(dataset: str) -> list[tuple[str, str]]:
    """(column, check name) of each referential check ``dataset`` runs when its reference is there."""
    return [(ref.column, ref.check_name) for ref in datasets.get(dataset).references]


def reference_of(check_name: str) -> str:
    """The dataset a referential check (``"in customers"``) looks values up in."""
    return check_name.removeprefix("in ")


def schema_for(dataset: str, day: date | str, references: References | None = None) -> pa.DataFrameSchema:
    return datasets.get(dataset).schema_builder()(day, references or References())
