"""The dataset's pandera schema compiled to SQL: every rule, profile, chart and segment of a partition.

The schema (:mod:`recomart_assets.quality.schemas`) stays the one statement of each rule: this
module walks its columns and checks (builtin checks by their name and ``statistics``, our own by
the ``rule`` they declare in ``statistics``) and writes the SQL that counts each rule's failures,
in the rule order and names of :func:`~recomart_assets.quality.checks.expected_checks`. The same
code writes DuckDB SQL and Spark SQL through a small :class:`Dialect`; an engine only loads the
partition's verified files through :func:`load_query` as the table or view ``typed`` (every value
as text, parsed values computed once, a row number ``__row`` in file order) and runs the queries;
reference lookups are joins in the passes that need them (the main pass, their samples).

Names are data: a column's name never appears in the SQL. The engine's source names the columns
by position (:func:`column_id`: ``__c0``, ``__c1`` …), :class:`Plan` maps each name to its
identifier, and every identifier goes through :meth:`Dialect.quote`. So a key with quotes, a
newline or nothing at all, a key equal to another but for case (DuckDB and Spark compare
identifiers without case), or one named like the engine's own columns (``rowid``, ``__row``)
binds like any other.

Semantics follow the reference (pandas) engine: values that do not parse count for the type rule
only; checks ignore missing values; ``unique`` ignores missing values and reports every
occurrence but the first; duplicate rows compare the required columns' parsed values, missing
equal to missing; row numbers, ties and samples follow file order. Work per partition: one
aggregate pass for counts, nulls, distincts and ranges; one group-by per text column (distinct
count and top values together); duplicates looked for only among rows whose key repeats; small
queries for the samples of failing rules.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd
import pandera.pandas as pa

from recomart_assets import datasets
from recomart_assets.datasets import Chart
from recomart_assets.lake import scanning
from recomart_assets.quality.checks import (
    MAX_SAMPLES,
    DatasetValidation,
    Rule,
    expected_checks,
    judged,
    sample_text,
    skipped_references,
    worst,
)
from recomart_assets.quality.outcome import HOURS, MAX_SEGMENT_VALUES, InputFile, Outcome, column_type
from recomart_assets.quality.parsing import FLOAT, PARSED_TYPES
from recomart_assets.quality.profiling import HISTOGRAM_BINS, TOP_VALUES, chart_label
from recomart_assets.quality.schemas import TIMESTAMP, References

ROW = "__row"
CHART_TOP = 15
# Failing rows fetched to find the first few distinct row-wide samples.
ROW_SAMPLE_SCAN = 50


@dataclass(frozen=True)
class Dialect:
    """What differs between the SQL engines (everything else is standard SQL both accept)."""

    name: str
    quote_char: str
    fullmatch: Callable[[str, str], str]  # (expression, pattern literal) -> boolean
    to_double: Callable[[str], str]  # text -> double or NULL
    to_timestamp: Callable[[str], str]  # text -> UTC timestamp or NULL
    timestamp_literal: Callable[[str], str]
    is_infinite: Callable[[str], str]
    epoch_micros: Callable[[str], str]  # timestamp -> microseconds since 1970 (no client time zone involved)
    round_half_even: Callable[[str], str]
    approx_distinct: str
    hash64: Callable[[str], str]  # value -> a 64-bit hash (equal values, equal hashes)
    hour_of_day: Callable[[str], str]  # timestamp -> its UTC hour 0..23 (DuckDB: epoch arithmetic, no calendar)
    backslash_escapes: bool  # string literals treat backslash as an escape (Spark)

    def quote(self, name: str) -> str:
        """An identifier (ours: data names are never identifiers, see :func:`column_id`)."""
        q = self.quote_char
        return q + name.replace(q, q + q) + q

    def literal(self, value: object) -> str:
        if value is None:
            return "NULL"
        if isinstance(value, bool):
            return "TRUE" if value else "FALSE"
        if isinstance(value, float):
            return f"CAST({value!r} AS DOUBLE)"  # a plain literal would be a DECIMAL
        if isinstance(value, int):
            return str(value)
        text = str(value)
        if not self.backslash_escapes:
            return scanning.literal(text)
        return "'" + text.replace("\\", "\\\\").replace("'", "''").replace("\x00", "\\u0000") + "'"


DUCKDB = Dialect(
    name="duckdb",
    quote_char='"',
    fullmatch=lambda expr, pattern: f"regexp_full_match({expr}, {pattern})",
    to_double=lambda expr: f"TRY_CAST({expr} AS DOUBLE)",
    to_timestamp=lambda expr: f"TRY_CAST({expr} AS TIMESTAMPTZ)",
    timestamp_literal=lambda iso: f"TIMESTAMPTZ '{iso}'",
    is_infinite=lambda expr: f"isinf({expr})",
    epoch_micros=lambda expr: f"epoch_us({expr})",
    round_half_even=lambda expr: f"roundbankers({expr}, 0)",
    approx_distinct="approx_count_distinct",
    hash64=lambda expr: f"hash({expr})",
    hour_of_day=lambda expr: f"CAST(((epoch_us({expr}) // 3600000000) % 24 + 24) % 24 AS INTEGER)",
    backslash_escapes=False,
)

SPARK = Dialect(
    name="spark",
    quote_char="`",
    # Java regex: \z is the very end (``$`` would also match before a final newline).
    fullmatch=lambda expr, pattern: f"({expr} RLIKE concat('^(?:', {pattern}, ')\\\\z'))",
    to_double=lambda expr: f"try_cast({expr} AS DOUBLE)",
    to_timestamp=lambda expr: f"try_cast({expr} AS TIMESTAMP)",
    timestamp_literal=lambda iso: f"TIMESTAMP '{iso}'",
    is_infinite=lambda expr: f"(abs({expr}) = double('infinity'))",
    epoch_micros=lambda expr: f"unix_micros({expr})",
    round_half_even=lambda expr: f"bround({expr}, 0)",
    approx_distinct="approx_count_distinct",
    hash64=lambda expr: f"xxhash64({expr})",
    hour_of_day=lambda expr: f"hour({expr})",
    backslash_escapes=True,
)


def column_id(index: int) -> str:
    """The identifier of the partition's ``index``-th column, whatever its name (an engine's source
    names its columns so, in the order of the plan's columns)."""
    return f"__c{index}"


def parsed_name(index: int) -> str:
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


def reference_lookups(schema: pa.DataFrameSchema, columns: Sequence[str]) -> list[tuple[str, str, str]]:
    """``(column, reference table, alias)`` of each referential check on a column the data has."""
    lookups = []
    for rule in expected_checks(schema, columns):
        stats = (rule.check.statistics or {}) if rule.check is not None else {}
        if stats.get("rule") == "in_reference" and rule.column in columns:
            lookups.append((rule.column, REFERENCE_TABLES[stats["reference"]], f"__ref{len(lookups)}"))
    return lookups


def load_query(dialect: Dialect, schema: pa.DataFrameSchema, columns: Sequence[str], source: str) -> str:
    """The SELECT that loads a partition: raw columns as text and their parsed values, computed once
    here so no later pass parses a value again (a scan, so file order is kept). ``source`` names the
    columns by position (:func:`column_id`)."""
    ids = {name: dialect.quote(column_id(index)) for index, name in enumerate(columns)}
    parts = list(ids.values())
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
    row_table: str | None = None  # ``duplicate rows``: its table of failing row numbers


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
        self.reference_joins = reference_lookups(self.schema, self.columns)
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


REFERENCE_TABLES = {"in product_catalog": "ref_product_ids", "in customers": "ref_customer_ids"}
CATEGORY_TABLE = "ref_categories"


def _check_condition(plan: Plan, column: str, check: pa.Check) -> str:
    """The failure condition of ``check`` on ``column`` (NULL values never fail: pandera skips them)."""
    d = plan.dialect
    value = plan.value_of(column)
    stats = check.statistics or {}
    rule = stats.get("rule", check.name)
    if rule == "fullmatch":
        return f"NOT {d.fullmatch(value, d.literal(stats['pattern']))}"
    if rule == "isin":  # ours (one_of) and pandera's built-in Check.isin
        allowed = stats.get("values", stats.get("allowed_values", []))
        return f"{value} NOT IN ({', '.join(d.literal(v) for v in allowed)})"
    if rule == "notin":
        return f"{value} IN ({', '.join(d.literal(v) for v in stats['forbidden_values'])})"
    if rule == "time_between":
        return f"({value} < {d.timestamp_literal(stats['start'])} OR {value} >= {d.timestamp_literal(stats['end'])})"
    if rule == "time_before":
        return f"{value} >= {d.timestamp_literal(stats['end'])}"
    if rule == "in_reference":
        alias = next(a for c, t, a in plan.reference_joins if c == column and t == REFERENCE_TABLES[stats["reference"]])
        return f"({value} IS NOT NULL AND {alias}_id IS NULL)"
    comparisons = {"greater_than": ">", "greater_than_or_equal_to": ">=", "less_than": "<",
                   "less_than_or_equal_to": "<=", "equal_to": "=", "not_equal_to": "<>"}
    if rule in comparisons:
        bound = stats.get("min_value", stats.get("max_value", stats.get("value")))
        return f"NOT ({value} {comparisons[rule]} {d.literal(bound)})"
    if rule == "in_range":
        low = ">=" if stats.get("include_min", True) else ">"
        high = "<=" if stats.get("include_max", True) else "<"
        return (f"NOT ({value} {low} {d.literal(stats['min_value'])} AND "
                f"{value} {high} {d.literal(stats['max_value'])})")
    raise NotImplementedError(f"check {check.name!r} has no SQL form: give it a 'rule' in its statistics")


def _frame_condition(plan: Plan, check: pa.Check) -> str | None:
    stats = check.statistics or {}
    if stats.get("rule") != "present_unless":
        raise NotImplementedError(f"row-wide check {check.name!r} has no SQL form")
    if stats["column"] not in plan.columns or stats["other"] not in plan.columns:
        return None
    value, other = plan.value_of(stats["column"]), plan.value_of(stats["other"])
    literal = plan.dialect.literal(stats["value"])
    return f"({value} IS NULL AND ({other} IS NULL OR {other} <> {literal}))"


def compile_rules(plan: Plan) -> list[RuleSql]:
    """Each rule of the schema as it applies to the partition's columns, with its SQL."""
    compiled = []
    present = set(plan.columns)
    for rule in expected_checks(plan.schema, plan.columns):
        condition, value = None, None
        if rule.column is not None and rule.column in present:
            value = raw = plan.q(rule.column)
            if rule.kind == "type":
                condition = f"({raw} IS NOT NULL AND {plan.parsed[rule.column][0]} IS NULL)"
            elif rule.kind == "not_null":
                condition = f"{raw} IS NULL"
            elif rule.kind == "column_check":
                condition = _check_condition(plan, rule.column, rule.check)
        elif rule.kind == "frame_check":
            condition = _frame_condition(plan, rule.check)
        compiled.append(RuleSql(rule, condition, value))
    return compiled


class SqlRunner(Protocol):
    """What an engine provides: its dialect, rows of a query, temporary tables (or views)."""

    dialect: Dialect

    def rows(self, query: str) -> list[tuple]: ...

    def create_temp(self, name: str, query: str, view: bool = False) -> None: ...


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


def _scalar(value: object, is_time: bool = False) -> object:
    """A min/max as the reference engine writes it (timestamps, given in epoch microseconds, as ISO 8601 UTC)."""
    if is_time:
        return pd.Timestamp(int(value), unit="us", tz="UTC").isoformat()
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


class SqlValidation:
    """Run the compiled schema of one partition (table ``t``) through ``runner``."""

    def __init__(self, runner: SqlRunner, plan: Plan, fail_rate: float, exact_distinct_rows: int):
        self.runner = runner
        self.plan = plan
        self.d = plan.dialect
        self.fail_rate = fail_rate
        self.exact_distinct_rows = exact_distinct_rows
        self.found = Found()
        self.distinct_method = "exact"
        self.tops: dict[str, list[tuple]] = {}  # text column -> its most frequent values and counts

    def run(self) -> tuple[DatasetValidation, Found]:
        plan = self.plan
        compiled = compile_rules(plan)
        rows = self.runner.rows("SELECT count(*) FROM typed")[0][0]
        self.found.rows = rows
        self.distinct_method = "exact" if rows <= self.exact_distinct_rows else "hll"
        key_failures = self._uniques(compiled)
        dup_rows = self._duplicate_rows(compiled, key_failures)
        self._main_pass(compiled, key_failures or dup_rows)
        self._text_columns(compiled)
        self._samples(compiled)
        self._charts()
        self._segments()
        results = []
        for item in compiled:
            rule = item.rule
            count = self.found.counts.get(rule.name, 0)
            samples, sample_rows = self.found.samples.get(rule.name, ([], []))
            results.append(judged(rule, count, rows, self.fail_rate, samples, sample_rows))
        results.extend(skipped_references(plan.dataset, plan.references))
        validation = DatasetValidation(plan.dataset, plan.day, worst(r.status for r in results), rows, results,
                                       failed_rows=self.found.failed_rows)
        return validation, self.found

    # -- checks ---------------------------------------------------------------------------------
    def _uniques(self, compiled: list[RuleSql]) -> bool:
        """``unique`` rules: repeated non-null values (every occurrence but the first fails)."""
        any_failures = False
        for index, item in enumerate(compiled):
            if item.rule.kind != "unique" or item.rule.column not in self.plan.columns:
                continue
            column = self.plan.q(item.rule.column)
            table = f"__dup{index}"
            # Repeated 64-bit hashes first (a cheap group-by of numbers), then the exact values among them.
            hashed = self.d.hash64(column)
            repeated = f"SELECT {hashed} FROM typed WHERE {column} IS NOT NULL GROUP BY {hashed} HAVING count(*) > 1"
            self.runner.create_temp(table, f"SELECT {column} AS v, count(*) AS n, min({ROW}) AS first FROM typed "
                                           f"WHERE {column} IS NOT NULL AND {hashed} IN ({repeated}) "
                                           f"GROUP BY {column} HAVING count(*) > 1")
            total = self.runner.rows(f"SELECT coalesce(sum(n - 1), 0), count(*) FROM {table}")[0]
            self.found.counts[item.rule.name] = int(total[0])
            item.unique_table = table
            any_failures |= bool(total[0])
        return any_failures

    def _unique_key(self, compiled: list[RuleSql]) -> RuleSql | None:
        required = {n for n, c in self.plan.schema.columns.items() if c.required}
        return next((i for i in compiled if i.rule.kind == "unique" and i.rule.column in required
                     and i.unique_table), None)

    def _duplicate_rows(self, compiled: list[RuleSql], key_failures: bool) -> bool:
        """Rows repeating an earlier row's required columns (parsed values), found among rows whose key
        repeats: a repeated row repeats its key too (rows without a key are candidates as well)."""
        item = next((i for i in compiled if i.rule.kind == "duplicate_rows"), None)
        if item is None:
            return False
        required = [n for n, c in self.plan.schema.columns.items() if c.required]
        if not set(required) <= set(self.plan.columns):
            self.found.counts[item.rule.name] = 0  # pandera does not compare rows lacking a column
            return False
        key = self._unique_key(compiled)
        candidates = "typed"
        if key is not None:
            column = self.plan.q(key.rule.column)
            candidates = (f"(SELECT typed.* FROM typed LEFT JOIN {key.unique_table} u ON typed.{column} = u.v "
                          f"WHERE typed.{column} IS NULL OR u.v IS NOT NULL)")
        values = ", ".join(self.plan.value_of(c) for c in required)
        self.runner.create_temp("__dup_rows", f"SELECT {ROW} FROM (SELECT {ROW}, row_number() OVER "
                                              f"(PARTITION BY {values} ORDER BY {ROW}) AS k FROM {candidates}) x WHERE k > 1")
        count = self.runner.rows("SELECT count(*) FROM __dup_rows")[0][0]
        self.found.counts[item.rule.name] = int(count)
        item.row_table = "__dup_rows"
        return bool(count)

    def _flagged_rows(self, compiled: list[RuleSql]) -> str | None:
        """A query of the rows failing a rule that is not row-local (unique, duplicate rows)."""
        parts = []
        for item in compiled:
            if item.unique_table:
                column = self.plan.q(item.rule.column)
                parts.append(f"SELECT typed.{ROW} FROM typed JOIN {item.unique_table} u ON typed.{column} = u.v "
                             f"WHERE typed.{ROW} <> u.first")
            if item.row_table:
                parts.append(f"SELECT {ROW} FROM {item.row_table}")
        return " UNION ".join(parts) if parts else None

    def _main_pass(self, compiled: list[RuleSql], any_flagged: bool) -> None:
        """One aggregate over the partition: every row-local rule, nulls, distincts, ranges.

        Each rule's condition is evaluated once per row, in an inner projection (``__f<i>``), and
        both its own count and the failed-rows count read that flag.
        """
        plan = self.plan
        select = []
        local = [item for item in compiled if item.condition]
        flags = [f"coalesce({item.condition}, FALSE) AS __f{index}" for index, item in enumerate(local)]
        for index in range(len(local)):
            select.append(f"count(*) FILTER (WHERE __f{index}) AS r{index}")
        failing = [f"__f{index}" for index in range(len(local))]
        flagged = self._flagged_rows(compiled) if any_flagged else None
        source = plan.with_lookups()
        if flagged:
            self.runner.create_temp("__flagged", f"SELECT DISTINCT {ROW} AS flagged FROM ({flagged}) f")
            source += f" LEFT JOIN __flagged ON typed.{ROW} = __flagged.flagged"
            flags.append("__flagged.flagged IS NOT NULL AS __fx")
            failing.append("__fx")
        select.append(f"count(*) FILTER (WHERE {' OR '.join(failing) or 'FALSE'}) AS failed")
        for index, column in enumerate(plan.columns):
            q = plan.q(column)
            select.append(f"count({q}) AS n{index}")
            if column in plan.parsed:
                alias = plan.parsed[column][0]
                distinct = (f"count(DISTINCT {q})" if self.distinct_method == "exact"
                            else f"{self.d.approx_distinct}({q})")
                low, high = f"min({alias})", f"max({alias})"
                if plan.parsed[column][1] == TIMESTAMP:
                    low, high = self.d.epoch_micros(low), self.d.epoch_micros(high)
                select += [f"{distinct} AS d{index}", f"{low} AS lo{index}", f"{high} AS hi{index}"]
        source = f"(SELECT typed.*{''.join(', ' + f for f in flags)} FROM {source}) flags"
        values = dict(zip(self._names(select), self.runner.rows(f"SELECT {', '.join(select)} FROM {source}")[0],
                          strict=True))
        for index, item in enumerate(local):
            self.found.counts[item.rule.name] = int(values[f"r{index}"])
        self.found.failed_rows = int(values["failed"])
        rows = self.found.rows
        for index, column in enumerate(plan.columns):
            present = int(values[f"n{index}"])
            nulls = rows - present
            self.found.present[column] = present
            profile = {"null_count": nulls, "null_share": round(nulls / rows, 6) if rows else 0.0}
            if column in plan.parsed:
                profile["distinct_count"] = int(values[f"d{index}"])
                if values[f"lo{index}"] is not None:
                    is_time = plan.parsed[column][1] == TIMESTAMP
                    profile["min"] = _scalar(values[f"lo{index}"], is_time)
                    profile["max"] = _scalar(values[f"hi{index}"], is_time)
            self.found.columns[column] = profile

    @staticmethod
    def _names(select: list[str]) -> list[str]:
        return [part.rsplit(" AS ", 1)[1] for part in select]

    def _top(self, expression: str, limit: int, source: str = "typed") -> tuple[list[tuple], int]:
        return self._tops([(expression, source, limit)])[0]

    def _tops(self, requests: list[tuple[str, str, int]]) -> list[tuple[list[tuple], int]]:
        """For each ``(text expression, source, limit)``: the ``limit`` most frequent non-null values
        (ties: first appearance) and the distinct count; one query for all (one job on Spark)."""
        if not requests:
            return []
        parts = []
        for index, (expression, source, limit) in enumerate(requests):
            # a top-N (ORDER BY ... LIMIT) rather than row_number() over every group: no full sort of a
            # column with millions of distinct values
            parts.append(
                f"SELECT * FROM (SELECT {index} AS k, v, n, first, count(*) OVER () AS total FROM "
                f"(SELECT CAST({expression} AS STRING) AS v, count(*) AS n, min({ROW}) AS first FROM {source} "
                f"WHERE {expression} IS NOT NULL GROUP BY {expression}) g ORDER BY n DESC, first LIMIT {limit}) t{index}")
        found: dict[int, list[tuple]] = {index: [] for index in range(len(requests))}
        for k, v, n, first, total in self.runner.rows(" UNION ALL ".join(parts)):
            found[int(k)].append((int(n), int(first), v, int(total)))
        results = []
        for index in range(len(requests)):
            rows = sorted(found[index], key=lambda r: (-r[0], r[1]))
            results.append(([(v, n) for n, _, v, _ in rows], rows[0][3] if rows else 0))
        return results

    def _text_columns(self, compiled: list[RuleSql]) -> None:
        """Distinct count and most frequent values of every text column, from one group-by each (for a
        ``unique`` column, from its table of repeated values)."""
        rows = self.found.rows
        uniques = {item.rule.column: item for item in compiled if item.unique_table}
        segment_columns = {s.column for s in datasets.get(self.plan.dataset).segments if not s.through_catalog}
        text = [c for c in self.plan.columns if c not in self.plan.parsed]
        grouped = [c for c in text if c not in uniques]
        limits = {c: MAX_SEGMENT_VALUES if c in segment_columns else CHART_TOP for c in text}
        tops = dict(zip(grouped, self._tops([(self.plan.q(c), "typed", limits[c]) for c in grouped]), strict=True))
        for column in text:
            if column in uniques:
                top, distinct = self._top_of_unique(column, uniques[column].unique_table, limits[column])
            else:
                top, distinct = tops[column]
            profile = self.found.columns[column]
            profile["distinct_count"] = distinct
            if distinct and distinct < rows:
                profile["top_values"] = [{"value": str(v), "count": n} for v, n in top[:TOP_VALUES]]
            self.tops[column] = top

    def _top_of_unique(self, column: str, table: str, limit: int) -> tuple[list[tuple], int]:
        """Repeated values first (most repeated, then first seen), then single values in row order."""
        q = self.plan.q(column)
        repeated = [(v, int(n)) for v, n in self.runner.rows(f"SELECT v, n FROM {table} ORDER BY n DESC, first LIMIT {limit}")]
        extra = self.runner.rows(f"SELECT coalesce(sum(n - 1), 0) FROM {table}")[0][0]
        distinct = self.found.present[column] - int(extra)
        if len(repeated) < limit:
            singles = self.runner.rows(
                f"SELECT typed.{q} FROM typed LEFT JOIN {table} u ON typed.{q} = u.v WHERE typed.{q} IS NOT NULL "
                f"AND u.v IS NULL ORDER BY typed.{ROW} LIMIT {limit - len(repeated)}")
            repeated += [(v, 1) for (v,) in singles]
        return repeated, distinct

    def _samples(self, compiled: list[RuleSql]) -> None:
        values: list[tuple[str, str, str, str]] = []
        for item in compiled:
            rule = item.rule
            count = self.found.counts.get(rule.name, 0)
            if rule.kind == "columns_present":
                missing = [n for n, c in self.plan.schema.columns.items() if c.required and n not in self.plan.columns]
                self.found.counts[rule.name] = len(missing)
                self.found.samples[rule.name] = (missing[:MAX_SAMPLES], [])
                continue
            if rule.kind == "unexpected_columns":
                extra = [c for c in self.plan.columns if c not in self.plan.schema.columns]
                self.found.counts[rule.name] = len(extra)
                self.found.samples[rule.name] = (extra[:MAX_SAMPLES], [])
                continue
            if not count:
                continue
            if item.unique_table:
                column = self.plan.q(rule.column)
                values.append((rule.name, f"typed.{column}",
                               f"typed JOIN {item.unique_table} u ON typed.{column} = u.v", f"typed.{ROW} <> u.first"))
            elif item.row_table:  # the first failing row numbers, then just those rows (no join over the table)
                self._row_samples(rule.name, f"typed.{ROW} IN (SELECT {ROW} FROM {item.row_table} ORDER BY {ROW} "
                                             f"LIMIT {ROW_SAMPLE_SCAN})")
            elif item.value is not None:
                values.append((rule.name, f"typed.{item.value}", self.plan.with_lookups(item.condition), item.condition))
            elif item.condition:
                self._row_samples(rule.name, item.condition, self.plan.with_lookups(item.condition))
        self._value_samples(values)

    def _value_samples(self, requests: list[tuple[str, str, str, str]]) -> None:
        """The first few distinct failing values of each ``(rule, value, source, condition)``, one query."""
        if not requests:
            return
        parts = [f"SELECT * FROM (SELECT {index} AS k, v, first FROM (SELECT CAST({value} AS STRING) AS v, "
                 f"min(typed.{ROW}) AS first FROM {source} WHERE {condition} GROUP BY {value}) g "
                 f"ORDER BY first LIMIT {MAX_SAMPLES}) t{index}"
                 for index, (_, value, source, condition) in enumerate(requests)]
        found: dict[int, list[tuple]] = {index: [] for index in range(len(requests))}
        for k, v, first in self.runner.rows(" UNION ALL ".join(parts)):
            found[int(k)].append((int(first), v))
        for index, (name, *_) in enumerate(requests):
            rows = sorted(found[index], key=lambda r: r[0])
            self.found.samples[name] = ([sample_text(v) for _, v in rows], [r for r, _ in rows])

    def _row_samples(self, name: str, condition: str, source: str = "typed") -> None:
        columns = ", ".join(f"typed.{self.plan.q(c)}" for c in self.plan.columns)
        found = self.runner.rows(f"SELECT typed.{ROW}, {columns} FROM {source} WHERE {condition} ORDER BY typed.{ROW} "
                                 f"LIMIT {ROW_SAMPLE_SCAN}")
        samples, rows = [], []
        for row in found:
            text = ", ".join(f"{c}={sample_text(v)}" for c, v in zip(self.plan.columns, row[1:], strict=True))
            if text not in samples:
                samples.append(text)
                rows.append(int(row[0]))
        self.found.samples[name] = (samples[:MAX_SAMPLES], rows[:MAX_SAMPLES])

    # -- charts and segments --------------------------------------------------------------------
    def _category_source(self, column: str) -> str:
        return (f"(SELECT typed.{ROW}, c.category AS v FROM typed JOIN {CATEGORY_TABLE} c "
                f"ON typed.{self.plan.q(column)} = c.product_id) s")

    def _counts(self, chart: Chart) -> dict:
        plan = self.plan
        if chart.column not in plan.columns:
            return {"kind": "counts", "labels": [], "values": []}
        if chart.kind == "per_category":
            if not plan.has_categories:
                return {"kind": "counts", "labels": [], "values": []}
            top, _ = self._top("v", CHART_TOP, source=self._category_source(chart.column))
        elif chart.order:
            value = plan.value_of(chart.column)
            if all(isinstance(v, float) for v in chart.order):
                value = self.d.round_half_even(value)
            tally = dict(self.runner.rows(f"SELECT {value}, count(*) FROM typed WHERE {value} IS NOT NULL GROUP BY {value}"))
            top = [(v, int(tally.get(v, 0))) for v in chart.order]
        elif chart.column in plan.parsed:
            top, _ = self._top(plan.value_of(chart.column), CHART_TOP)
        else:
            top = self.tops[chart.column][:CHART_TOP]
        return {"kind": "counts", "labels": [chart_label(v) for v, _ in top], "values": [n for _, n in top]}

    def _histogram(self, column: str) -> dict:
        """numpy's ``histogram`` (20 equal bins over the finite values), computed in SQL."""
        empty = {"kind": "histogram", "edges": [], "counts": []}
        if column not in self.plan.parsed:
            return empty
        value = self.plan.value_of(column)
        finite = f"{value} IS NOT NULL AND NOT {self.d.is_infinite(value)}"
        low, high = self.runner.rows(f"SELECT min({value}), max({value}) FROM typed WHERE {finite}")[0]
        if low is None:
            return empty
        edges = np.histogram_bin_edges(np.array([low, high], dtype="float64"), bins=HISTOGRAM_BINS)
        bins = HISTOGRAM_BINS
        first, width = float(edges[0]), float(edges[-1]) - float(edges[0])

        def edge(index: str) -> str:
            return "CASE " + " ".join(f"WHEN {index} = {i} THEN {self.d.literal(float(e))}"
                                      for i, e in enumerate(edges)) + " END"

        # numpy's bin guess, then its correction against the exact edges (the last bin is closed)
        guess = (f"least(CAST(floor((({value} - {self.d.literal(first)}) / {self.d.literal(width)}) * {bins}) "
                 f"AS BIGINT), {bins - 1})")
        query = (f"SELECT b, count(*) FROM (SELECT CASE WHEN x < {edge('k')} THEN k - 1 "
                 f"WHEN x >= {edge('k + 1')} AND k <> {bins - 1} THEN k + 1 ELSE k END AS b FROM "
                 f"(SELECT {value} AS x, {guess} AS k FROM typed WHERE {finite}) a) f GROUP BY b")
        tally = dict(self.runner.rows(query))
        return {"kind": "histogram", "edges": [round(float(e), 4) for e in edges],
                "counts": [int(tally.get(b, 0)) for b in range(bins)]}

    def _per_hour(self, column: str) -> dict:
        hours = self._hours(column)
        return {"kind": "counts", "labels": [str(h) for h in range(24)], "values": [hours.get(h, 0) for h in range(24)]}

    def _hours(self, column: str) -> dict[int, int]:
        if not hasattr(self, "_hour_counts"):
            value = self.plan.value_of(column)
            self._hour_counts = {int(h): int(n) for h, n in self.runner.rows(
                f"SELECT {self.d.hour_of_day(value)}, count(*) FROM typed WHERE {value} IS NOT NULL "
                f"GROUP BY {self.d.hour_of_day(value)}")}
        return self._hour_counts

    def _charts(self) -> None:
        for chart in datasets.get(self.plan.dataset).charts:
            if chart.kind == "histogram":
                self.found.distributions[chart.title] = self._histogram(chart.column)
            elif chart.kind == "per_hour":
                self.found.distributions[chart.title] = (
                    self._per_hour(chart.column) if chart.column in self.plan.parsed
                    else self._counts(Chart(chart.title, "counts", chart.column, tuple(range(24)))))
            else:
                self.found.distributions[chart.title] = self._counts(chart)

    def _segments(self) -> None:
        """Volume and missing values per segment value: one grouped pass for every segment (grouping
        sets; a catalog segment through a join to the day's categories). Only columns with a missing
        value in the partition are counted per segment (the others have none in any segment): a
        per-group count of a text column reads every string, most of this pass's time."""
        spec = datasets.get(self.plan.dataset)
        if spec.time_column and spec.time_column in self.plan.parsed:
            hours = self._hours(spec.time_column)
            self.found.segments["hour"] = {label: hours.get(h, 0) for h, label in enumerate(HOURS)}
        keys: dict[str, str] = {}  # segment -> its key column in the grouped pass
        joins = ""
        for segment in spec.segments:
            if segment.column not in self.plan.columns:
                continue
            if segment.through_catalog and not self.plan.has_categories:
                self.found.segments[segment.name] = {}
                self.found.segment_nulls[segment.name] = {}
                continue
            key = f"__segment{len(keys)}"
            if segment.through_catalog:
                joins += (f" LEFT JOIN {CATEGORY_TABLE} {key}_c ON typed.{self.plan.q(segment.column)} = "
                          f"{key}_c.product_id")
                keys[segment.name] = f"{key}_c.category AS {key}"
            else:
                keys[segment.name] = f"typed.{self.plan.q(segment.column)} AS {key}"
        if not keys:
            return
        names = [f"__segment{index}" for index in range(len(keys))]
        with_nulls = [c for c in self.plan.columns if self.found.present[c] < self.found.rows]
        nulls = "".join(f", count(*) - count({self.plan.q(c)})" for c in with_nulls)
        source = f"(SELECT typed.*, {', '.join(keys.values())} FROM typed{joins}) s"
        sets = ", ".join(f"({name})" for name in names)
        groupings = ", ".join(f"grouping({name})" for name in names)
        found: dict[int, list[tuple]] = {index: [] for index in range(len(names))}
        for row in self.runner.rows(f"SELECT {', '.join(names)}, {groupings}, count(*), min({ROW}){nulls} "
                                    f"FROM {source} GROUP BY GROUPING SETS ({sets})"):
            values, grouped, (n, first), tally = (row[:len(names)], row[len(names):2 * len(names)],
                                                  row[2 * len(names):2 * len(names) + 2], row[2 * len(names) + 2:])
            index = list(grouped).index(0)
            if values[index] is not None:
                found[index].append((int(n), int(first), values[index], tally))
        for index, name in enumerate(keys):
            rows = sorted(found[index], key=lambda r: (r[0], -r[1]), reverse=True)[:MAX_SEGMENT_VALUES]
            self.found.segments[name] = {str(v): n for n, _, v, _ in rows}
            self.found.segment_nulls[name] = {
                str(v): {c: 0 for c in self.plan.columns} | {c: int(k) for c, k in zip(with_nulls, tally, strict=True)}
                for _, _, v, tally in rows}

    def column_types(self) -> dict[str, str]:
        return {c: column_type(self.plan.parsed[c][1] if c in self.plan.parsed else None) for c in self.plan.columns}


def sql_outcome(sql: SqlValidation, validation: DatasetValidation, found: Found, files, quarantine: tuple[int, int],
                observed: dict, engine: str) -> Outcome:
    """The :class:`Outcome` of a compiled-SQL validation (DuckDB or Spark: the same shape from either)."""
    return Outcome(
        validation=validation,
        files=[InputFile(path.name, manifest.md5) for path, manifest in files],
        bytes=sum(manifest.bytes for _, manifest in files),
        quarantined_records=quarantine[0],
        quarantine_files=quarantine[1],
        columns=found.columns,
        distributions=found.distributions,
        present=found.present,
        column_types=sql.column_types(),
        observed_schema=observed,
        segments=found.segments,
        segment_nulls=found.segment_nulls,
        distinct_method=sql.distinct_method,
        engine=engine,
    )
