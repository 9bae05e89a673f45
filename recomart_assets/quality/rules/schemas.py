"""One pandera schema per dataset: the single statement of what a valid record is.

A schema is built per partition because two of its rules depend on the day: records must fall
inside the partition's UTC day, and ids must exist in the same day's partition of the dataset
they reference (:class:`References`, one set of ids per reference the specs declare). Column dtypes are the *parsed* types (``Int64``, ``float64``,
``datetime64[ns, UTC]``); the raw zone holds text, and :mod:`recomart_assets.quality.rules.parsing`
turns text into those types first, reporting values that do not parse. Validation is always
lazy (every failure collected) and runs on pyarrow-backed strings for speed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
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

ReferenceKey = tuple[str, str]  # (referenced dataset, its key column)


@dataclass(frozen=True)
class References:
    """The same day's ids of every referenced ``(dataset, key column)``, as the specs' references
    declare them (:attr:`recomart_assets.datasets.DatasetSpec.references`). A key that is absent has
    no ids for the day (its dataset is missing): its referential checks do not run and warn so."""

    ids: Mapping[ReferenceKey, pd.Index] = field(default_factory=dict)

    def ids_for(self, reference: datasets.Reference) -> pd.Index | None:
        """The ids ``reference`` looks values up in, or None when its dataset is missing for the day."""
        return self.ids.get((reference.dataset, reference.key))


def day_bounds(day: date | str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``[start, end)`` of ``day`` in UTC: midnight of the day and of the next, the half-open range the time checks
    (and their SQL) use."""
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
    """The value is one of ``values`` (exact, case-sensitive); the name lists them, joined by ``|``."""
    values = tuple(values)
    return pa.Check(lambda s: s.isin(values), name="one of " + "|".join(values),
                    statistics={"rule": "isin", "values": list(values)})


def within_day(day: date | str) -> pa.Check:
    """The timestamp lies in the partition's UTC day (from its midnight, before the next one): an event belongs to
    the day it is filed under."""
    start, end = day_bounds(day)
    return pa.Check(lambda s: (s >= start) & (s < end), name="within partition day",
                    statistics={"rule": "time_between", "start": start.isoformat(), "end": end.isoformat()})


def not_after_day(day: date | str) -> pa.Check:
    """The timestamp is before the end of the partition's UTC day: a snapshot cannot hold a date from its future (a
    signup, an ``as_of``)."""
    _, end = day_bounds(day)
    return pa.Check(lambda s: s < end, name="not after partition day",
                    statistics={"rule": "time_before", "end": end.isoformat()})


def in_reference(reference: datasets.Reference, references: References) -> list[pa.Check]:
    """The referential check of ``reference``, or nothing when its dataset is missing for the day.

    The statistics name the referenced dataset and key (engines look the ids up by them, under
    table names of their own: names in a spec never become SQL identifiers)."""
    ids = references.ids_for(reference)
    if ids is None:
        return []
    return [pa.Check(lambda s: s.isin(ids), name=reference.check_name,
                     statistics={"rule": "in_reference", "dataset": reference.dataset, "key": reference.key})]


def reference_checks(dataset: str, column: str, references: References) -> list[pa.Check]:
    """The referential checks the spec of ``dataset`` declares on ``column`` (a schema adds these to
    the column, so the spec stays the one statement of what references what)."""
    return [check for ref in datasets.get(dataset).references if ref.column == column
            for check in in_reference(ref, references)]


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


def _reference_id(pattern: str, label: str, dataset: str, name: str, references: References, **column) -> pa.Column:
    """An id column ``name`` of ``dataset`` in ``pattern`` format that must exist where the spec says."""
    column.setdefault("nullable", False)
    return pa.Column(STRING, checks=[matches(pattern, label), *reference_checks(dataset, name, references)], **column)


def _key(pattern: str | None = None, label: str = "") -> pa.Column:
    checks = [matches(pattern, label)] if pattern else []
    return pa.Column(STRING, nullable=False, unique=True, report_duplicates="exclude_first", checks=checks)


def product_catalog_schema(day: date | str, references: References) -> pa.DataFrameSchema:
    """The catalog snapshot of ``day``: unique ``P`` + 6-digit product ids, name, category and brand present, a
    positive price; strict (no other column)."""
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
    """The customer snapshot of ``day``: unique ``C`` + 6-digit ids, a plausible e-mail, a signup date not after the
    day; strict (no other column)."""
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
    """Purchases of ``day``: ids that exist in the same day's customers and catalog, quantity at least 1, a positive
    price, an optional rating 1-5, a timestamp within the day; strict."""
    return _schema(
        "transactions",
        {
            "transaction_id": _key(),
            "customer_id": _reference_id(CUSTOMER_ID, "customer id", "transactions", "customer_id", references),
            "product_id": _reference_id(PRODUCT_ID, "product id", "transactions", "product_id", references),
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
            "user_id": _reference_id(CUSTOMER_ID, "customer id", "clickstream", "user_id", references),
            "session_id": pa.Column(STRING, nullable=True, required=False),
            "event_type": pa.Column(STRING, nullable=False, checks=one_of(EVENT_TYPES)),
            "product_id": _reference_id(PRODUCT_ID, "product id", "clickstream", "product_id", references,
                                        nullable=True),
            "search_term": pa.Column(STRING, nullable=True, required=False),
            "device": pa.Column(STRING, nullable=False, checks=one_of(DEVICES)),
            "timestamp": pa.Column(TIMESTAMP, nullable=False, checks=within_day(day)),
        },
        strict=False,
        checks=[present_unless("product_id", "event_type", "search")],
    )


def external_metadata_schema(day: date | str, references: References) -> pa.DataFrameSchema:
    """The metadata pull of ``day``: unique product ids that exist in the day's catalog, popularity 0-100, sentiment
    -1 to 1, a known trend, reviews at least 0, ``as_of`` not after the day; strict."""
    return _schema(
        "external_metadata",
        {
            "product_id": _reference_id(
                PRODUCT_ID, "product id", "external_metadata", "product_id", references, unique=True,
                report_duplicates="exclude_first",
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


def referential_checks(dataset: str) -> list[datasets.Reference]:
    """The references ``dataset`` checks (each runs when its dataset is there for the day)."""
    return list(datasets.get(dataset).references)


def reference_of(check_name: str) -> str:
    """The dataset a referential check (``"in customers"``) looks values up in."""
    return check_name.removeprefix("in ")


def schema_for(dataset: str, day: date | str, references: References | None = None) -> pa.DataFrameSchema:
    """The pandera schema of ``dataset`` for ``day``, built by its spec with the day's reference ids (none given: no
    referential checks, as when a referenced dataset is missing)."""
    return datasets.get(dataset).schema_builder()(day, references or References())
