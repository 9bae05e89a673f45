"""A partition's table as the compiled SQL sees it: columns by position, parsed values, the plan.

An engine loads the partition's verified files through :func:`load_query` as the table or view
``typed`` (every value as text, parsed values computed once, a row number ``__row`` in file order);
a :class:`Plan` maps each column name to its identifier and says how to read a value; the rules'
SQL (:mod:`.rule_compilers`) and the passes (:mod:`.passes`, :mod:`.profiles`) are written against
it and fill in a :class:`Found`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pandera.pandas as pa

from recomart_assets.quality.engines.sql.dialect import Dialect
from recomart_assets.quality.rules.parsing import FLOAT, PARSED_TYPES
from recomart_assets.quality.rules.schemas import TIMESTAMP, ReferenceKey, References
from recomart_assets.quality.rules.vocabulary import Rule, expected_checks

ROW = "__row"
CATEGORY_TABLE = "ref_categories"


def reference_tables(references: References) -> dict[ReferenceKey, str]:
    """``(dataset, key)`` -> the table (one column ``id``) an engine registers its ids under.

    Generated from the position in the sorted keys (``__ref_ids_0`` …): a dataset's or column's name
    never becomes an SQL identifier (docs/protocol.md, "Names as data"). The engine registering the
    tables and the plan joining them derive the names from the same :class:`References`."""
    return {key: f"__ref_ids_{index}" for index, key in enumerate(sorted(references.ids))}


def column_id(index: int) -> str:
    """The identifier of the partition's ``index``-th column, whatever its name (an engine's source
    names its columns so, in the order of the plan's columns)."""
    return f"__c{index}"


def parsed_name(index: int) -> str:
    """The identifier of the parsed values of the ``index``-th column (typed columns only)."""
    return f"__parsed_{index}"


def parse_expression(dialect: Dialect, raw: str, dtype: str) -> str:
    """Text (the SQL of a value) -> the schema's type, NULL where the value does not parse (as
    :mod:`parsing` does)."""
    if dtype == TIMESTAMP:
        return dialect.to_timestamp(raw)
    number = f"(CASE WHEN isnan({dialect.to_double(raw)}) THEN NULL ELSE {dialect.to_double(raw)} END)"
    if dtype == FLOAT:
        return number
    # Integers: a finite number without a fractional part (``"1.0"`` is 1, ``"1.5"`` does not parse).
    return (f"(CASE WHEN {number} = floor({number}) AND abs({number}) < 9.2e18 "
            f"THEN CAST({number} AS BIGINT) END)")


def parsed_columns(schema: pa.DataFrameSchema, columns: Sequence[str]) -> dict[str, tuple[str, str]]:
    """Typed column -> (its parsed column's name, dtype), for the typed columns the data has."""
    typed = {}
    for index, name in enumerate(columns):
        column = schema.columns.get(name)
        if column is not None and str(column.dtype) in PARSED_TYPES:
            typed[name] = (parsed_name(index), str(column.dtype))
    return typed


def reference_lookups(schema: pa.DataFrameSchema, columns: Sequence[str],
                      tables: dict[ReferenceKey, str]) -> list[tuple[str, str, str]]:
    """``(column, reference table, alias)`` of each referential check on a column the data has
    (``tables``: :func:`reference_tables` of the partition's references)."""
    lookups: list[tuple[str, str, str]] = []
    for rule in expected_checks(schema, columns):
        stats = (rule.check.statistics or {}) if rule.check is not None else {}
        if stats.get("rule") == "in_reference" and rule.column is not None and rule.column in columns:
            table = tables[(stats["dataset"], stats["key"])]
            lookups.append((rule.column, table, f"__ref{len(lookups)}"))
    return lookups


def load_query(dialect: Dialect, schema: pa.DataFrameSchema, columns: Sequence[str], source: str,
               passed: Sequence[str] = ()) -> str:
    """The SELECT that loads a partition: raw columns as text and their parsed values, computed once
    here so no later pass parses a value again (a scan, so file order is kept). ``source`` names the
    columns by position (:func:`column_id`); ``passed``: its own columns kept as they are (a row
    number it already has)."""
    ids = {name: dialect.quote(column_id(index)) for index, name in enumerate(columns)}
    parts = [*ids.values(), *passed]
    for name, (alias, dtype) in parsed_columns(schema, columns).items():
        parts.append(f"{parse_expression(dialect, ids[name], dtype)} AS {alias}")
    return f"SELECT {', '.join(parts)} FROM {source}"


@dataclass
class RuleSql:
    """A rule's failure condition on one row (None: not a row-local rule) and its sample value."""

    rule: Rule
    condition: str | None
    value: str | None  # SQL of the sample value (raw text); None: whole rows
    unique_table: str | None = None  # ``unique``: its table of repeated values (v, n, first)
    occurrences_table: str | None = None  # ``unique``: every occurrence (v, row) of values whose hash repeats
    row_table: str | None = None  # ``duplicate rows``: its table of failing row numbers
    row_source: str = "typed"  # ``duplicate rows``: where the failing rows' columns are read for samples


@dataclass
class Plan:
    """Everything the queries need to know about one partition's table."""

    dialect: Dialect
    dataset: str
    day: str
    schema: pa.DataFrameSchema
    columns: list[str]
    references: References
    has_categories: bool
    parsed: dict[str, tuple[str, str]] = field(default_factory=dict)
    reference_joins: list[tuple[str, str, str]] = field(default_factory=list)  # (column, table, alias)
    ids: dict[str, str] = field(default_factory=dict)  # column name -> its quoted identifier

    def __post_init__(self) -> None:
        self.parsed = parsed_columns(self.schema, self.columns)
        self.reference_joins = reference_lookups(self.schema, self.columns, reference_tables(self.references))
        self.ids = {name: self.dialect.quote(column_id(index)) for index, name in enumerate(self.columns)}

    def q(self, name: str) -> str:
        """The quoted identifier of the column ``name`` (by its position: names are data)."""
        return self.ids[name]

    def with_lookups(self, condition: str | None = None) -> str:
        """``typed`` joined to the reference ids (``<alias>_id`` NULL: not in the reference); given a
        condition, only to the references it uses."""
        joins = "".join(f" LEFT JOIN (SELECT id AS {alias}_id FROM {table}) {alias} "
                        f"ON typed.{self.q(column)} = {alias}.{alias}_id" for column, table, alias in self.reference_joins
                        if condition is None or f"{alias}_id" in condition)
        return "typed" + joins

    def value_of(self, column: str) -> str:
        """The value a check sees: the parsed value for typed columns, else the text."""
        return self.parsed[column][0] if column in self.parsed else self.q(column)

    def parsed_from_text(self, column: str) -> str:
        """The value a check sees, parsed here from the column's text: for a query over a few rows
        taken from ``typed`` by their text columns alone (a view over the columnar copies parses every
        row it reads, whether the filter then keeps it or not)."""
        if column not in self.parsed:
            return self.q(column)
        return parse_expression(self.dialect, self.q(column), self.parsed[column][1])


@dataclass
class Found:
    """What the queries found, before it becomes checks, profiles and charts."""

    rows: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    samples: dict[str, tuple[list[str], list[int]]] = field(default_factory=dict)
    failed_rows: int = 0
    columns: dict[str, dict] = field(default_factory=dict)
    present: dict[str, int] = field(default_factory=dict)
    distributions: dict[str, dict] = field(default_factory=dict)
    segments: dict[str, dict[str, int]] = field(default_factory=dict)
    segment_nulls: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
